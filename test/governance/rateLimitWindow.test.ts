import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ActionCatalog } from '../../src/domain/catalog.js';
import { validateProposal } from '../../src/domain/proposal.js';
import { parsePolicy } from '../../src/server/policy/parsePolicy.js';
import { policyJudge } from '../../src/server/policyJudge.js';
import { SqliteActionStore } from '../../src/store/sqlite/SqliteActionStore.js';
import { tempDataDir } from '../support/testServer.js';

const MINUTE_MS = 60_000;
const CATALOG = new ActionCatalog();
const POLICY = parsePolicy('mode: enforce\nrules:\n  - name: limited\n    services: ["web-*"]\n    max_per_hour: 2\n', 'policy.yaml', CATALOG);
const LIMITS = { maxPayloadBytes: 65_536, maxAttempts: 3, defaultPendingTtlSeconds: 86_400, maxPendingTtlSeconds: 86_400 * 7, approvalsRequired: POLICY.approvalsRequired };

describe('the rate limit counts a rolling hour in the store', () => {
  let store: SqliteActionStore | undefined;
  const dataDir = tempDataDir('actiongate-rate-window-');
  afterEach(async () => {
    await store?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('approvals for a service resume exactly as the earlier ones leave the last hour, and other services are not counted', async () => {
    let now = Date.UTC(2026, 0, 5, 12);
    store = SqliteActionStore.open(dataDir, { clock: () => now });
    const propose = async (service: string, at: number): Promise<string> => {
      now = at;
      const input = { actionType: 'rerun_healthcheck', node: 'web-1', service, payload: {}, confidence: 1, riskLevel: null, correlationId: '', rollbackReference: '', idempotencyKey: '', ttlSeconds: 0 };
      const { action } = await store!.create(validateProposal(input, 'deploy-bot', at, CATALOG, LIMITS), policyJudge(POLICY, CATALOG, at));
      return action.status;
    };
    const t0 = now;
    expect(await propose('web-api', t0)).toBe('APPROVED');
    expect(await propose('web-api', t0 + 10 * MINUTE_MS)).toBe('APPROVED');
    expect(await propose('web-api', t0 + 20 * MINUTE_MS)).toBe('PENDING');
    // Another service has its own count.
    expect(await propose('web-frontend', t0 + 20 * MINUTE_MS)).toBe('APPROVED');
    // Still within the hour of the first approval.
    expect(await propose('web-api', t0 + 60 * MINUTE_MS - 1)).toBe('PENDING');
    // The first approval has left the hour: one more fits, then the second is still inside.
    expect(await propose('web-api', t0 + 60 * MINUTE_MS)).toBe('APPROVED');
    expect(await propose('web-api', t0 + 60 * MINUTE_MS + 1)).toBe('PENDING');
    expect(await propose('web-api', t0 + 70 * MINUTE_MS)).toBe('APPROVED');
    expect(await propose('web-api', t0 + 70 * MINUTE_MS + 1)).toBe('PENDING');
  });
});
