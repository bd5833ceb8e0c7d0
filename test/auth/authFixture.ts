import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ActionClient } from '../../src/client/ActionClient.js';
import { ControlClient } from '../../src/client/ControlClient.js';
import type { Role } from '../../src/domain/roles.js';

export interface TestPrincipal {
  readonly name: string;
  readonly roles: readonly Role[];
  readonly token: string;
  readonly executorIds?: readonly string[];
}

export function principal(name: string, roles: readonly Role[], executorIds?: readonly string[]): TestPrincipal {
  return { name, roles, token: randomBytes(32).toString('base64url'), ...(executorIds === undefined ? {} : { executorIds }) };
}

/** Writes an auth file for these principals (only token hashes go in it); returns its path. */
export function writeAuthFile(dir: string, principals: readonly TestPrincipal[], file = 'auth.yaml'): string {
  const path = join(dir, file);
  const entries = principals.map((p) => ({
    name: p.name,
    roles: [...p.roles],
    token_sha256: createHash('sha256').update(p.token).digest('hex'),
    ...(p.executorIds === undefined ? {} : { executor_ids: [...p.executorIds] }),
  }));
  writeFileSync(path, stringify({ principals: entries }), { mode: 0o600 });
  return path;
}

export interface Clients {
  readonly actions: ActionClient;
  readonly control: ControlClient;
  close(): void;
}

/** Clients that present `token` (or nothing) on every call. */
export function clientsFor(address: string, token: string | undefined): Clients {
  const options = token === undefined ? {} : { token };
  const actions = new ActionClient(address, options);
  const control = new ControlClient(address, options);
  return {
    actions,
    control,
    close() {
      actions.close();
      control.close();
    },
  };
}
