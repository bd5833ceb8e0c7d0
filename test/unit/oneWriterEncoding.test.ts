import { describe, expect, it } from 'vitest';
import { ProposeResponse, GetActionResponse } from '../../src/gen/actiongate/v1/action_service.js';
import { ACTION_SERVICE_DEFINITION } from '../../src/server/serviceDefinitions.js';
import { encodeWithSharedWriter } from '../../src/server/oneWriterEncoding.js';

const action = (id: string, payloadText = 'x') => ({
  actionId: id,
  actionType: 'redeploy',
  node: 'node-1',
  service: 'checkout',
  payload: { text: payloadText, depth: { n: 1 } },
  history: [{ sequence: '1', actionId: id, to: 1, actor: 'agent', reason: 'proposed', at: new Date(1_700_000_000_000) }],
});

const generated = (message: ProposeResponse): Buffer => Buffer.from(ProposeResponse.encode(message).finish());

describe('replies encoded with the shared writer', () => {
  it('are byte for byte what the generated encoder writes, message after message', () => {
    for (const id of ['a', 'b-longer-identifier', 'c']) {
      const message = ProposeResponse.fromPartial({ action: action(id), replayed: id === 'c' });
      expect(encodeWithSharedWriter(ProposeResponse, message).equals(generated(message))).toBe(true);
    }
  });

  it('leave nothing of a message that failed half way in the next one', () => {
    const broken = ProposeResponse.fromPartial({ action: action('broken') });
    Object.defineProperty(broken.action!, 'service', { get: () => { throw new Error('unencodable field'); } });
    expect(() => encodeWithSharedWriter(ProposeResponse, broken)).toThrow('unencodable field');

    const next = ProposeResponse.fromPartial({ action: action('next') });
    const bytes = encodeWithSharedWriter(ProposeResponse, next);
    expect(bytes.equals(generated(next))).toBe(true);
    expect(ProposeResponse.decode(bytes).action?.actionId).toBe('next');
  });

  it('do not change a reply already handed out when the next one is encoded', () => {
    const big = ProposeResponse.fromPartial({ action: action('big', 'y'.repeat(2 * 1024 * 1024)) });
    const first = encodeWithSharedWriter(ProposeResponse, big);
    const second = encodeWithSharedWriter(ProposeResponse, ProposeResponse.fromPartial({ action: action('small') }));
    expect(ProposeResponse.decode(first).action?.actionId).toBe('big');
    expect(ProposeResponse.decode(second).action?.actionId).toBe('small');
  });

  it('serve every method of the service definition with its own response type', () => {
    const reply = GetActionResponse.fromPartial({ action: action('got') });
    const bytes = ACTION_SERVICE_DEFINITION.getAction.responseSerialize(reply);
    expect(GetActionResponse.decode(bytes).action?.actionId).toBe('got');
    expect(bytes.equals(Buffer.from(GetActionResponse.encode(reply).finish()))).toBe(true);
  });
});
