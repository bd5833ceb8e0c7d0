import { describe, expect, it } from 'vitest';
import { ActionStatus, RiskLevel, type Action } from '../../src/gen/actiongate/v1/action.js';
import { actionTable, styleFor } from '../../src/cli/renderAction.js';

function action(id: string, status: ActionStatus, risk: RiskLevel, node: string): Action {
  return { actionId: id, actionType: 'redeploy_service', node, service: 'api', status, riskLevel: risk, createdAt: new Date(Date.now() - 90_000) } as Action;
}

const strip = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '');

describe('colours in human output', () => {
  it('are on only for a terminal, and never with NO_COLOR', () => {
    expect(styleFor({ isTTY: true }, {}).colour).toBe(true);
    expect(styleFor({ isTTY: true }, { NO_COLOR: '1' }).colour).toBe(false);
    expect(styleFor({ isTTY: false }, {}).colour).toBe(false);
    expect(styleFor({}, {}).colour).toBe(false);
  });

  it('keep the table aligned: escape codes take no room', () => {
    const rows = [
      action('a1', ActionStatus.ACTION_STATUS_PENDING, RiskLevel.RISK_LEVEL_DANGEROUS, 'web-1'),
      action('a2', ActionStatus.ACTION_STATUS_COMPLETED, RiskLevel.RISK_LEVEL_SAFE, 'a-much-longer-node-name'),
    ];
    const coloured = actionTable(rows, { colour: true });
    expect(coloured).toContain('\u001b[');
    expect(strip(coloured)).toBe(actionTable(rows, { colour: false }));
    const [header, ...lines] = strip(coloured).trimEnd().split('\n');
    const statusAt = header!.indexOf('STATUS');
    expect(lines.map((l) => l.slice(statusAt).split(' ')[0])).toEqual(['PENDING', 'COMPLETED']);
    for (const l of lines) expect(l.slice(header!.indexOf('AGE')).trim()).toMatch(/^9\ds$/);
  });
});
