import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/server/LatencyHistogram.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const SAMPLES: [string, number][] = [
  ['Propose', 0.0005], ['Propose', 0.001], ['Propose', 0.002], ['Propose', 0.5], ['Propose', 7],
  ['Approve', 0.01], ['Approve', 0.05],
];

/** The exposition lines of one registry, sorted, without HELP and TYPE. */
async function lines(registry: Registry): Promise<string[]> {
  const text = await registry.metrics();
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).sort();
}

describe('LatencyHistogram', () => {
  it("exports what prom-client's own Histogram exports for the same observations", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const mine = new LatencyHistogram('t_seconds', 'help', 'grpc_method', BUCKETS, [ours]);
    const reference = new Histogram({ name: 't_seconds', help: 'help', labelNames: ['grpc_method'], buckets: BUCKETS, registers: [theirs] });
    for (const [method, seconds] of SAMPLES) {
      mine.labels(method).observe(seconds);
      reference.labels(method).observe(seconds);
    }
    const expected = await lines(theirs);
    expect(expected).toContain('t_seconds_bucket{le="0.001",grpc_method="Propose"} 2');
    // Label order inside the braces may differ; compare the label sets.
    const normalise = (line: string) => line.replace(/\{(.*)\}/, (_m, inner: string) => `{${inner.split(',').sort().join(',')}}`);
    expect((await lines(ours)).map(normalise).sort()).toEqual(expected.map(normalise).sort());
    expect((await ours.getMetricsAsJSON())[0]?.type).toBe('histogram');
  });

  it('starts again from nothing when the registry is reset, and a kept series goes on counting', async () => {
    const registry = new Registry();
    const histogram = new LatencyHistogram('r_seconds', 'help', 'grpc_method', BUCKETS, [registry]);
    const propose = histogram.labels('Propose');
    propose.observe(0.2);
    registry.resetMetrics();
    expect(await lines(registry)).toEqual([]);
    propose.observe(0.5);
    expect(await lines(registry)).toContain('r_seconds_count{grpc_method="Propose"} 1');
    expect(await lines(registry)).toContain('r_seconds_sum{grpc_method="Propose"} 0.5');
  });

  it('exports a label value only once it has been observed, and drops what is not a duration', async () => {
    const registry = new Registry();
    const histogram = new LatencyHistogram('s_seconds', 'help', 'grpc_method', BUCKETS, [registry]);
    const approve = histogram.labels('Approve');
    expect(await lines(registry)).toEqual([]);
    approve.observe(Number.NaN);
    approve.observe(0.002);
    expect(await lines(registry)).toContain('s_seconds_sum{grpc_method="Approve"} 0.002');
    expect(await lines(registry)).toContain('s_seconds_count{grpc_method="Approve"} 1');
  });
});
