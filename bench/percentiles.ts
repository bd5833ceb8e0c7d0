/** Latency percentiles of one RPC (or operation), in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

export const round3 = (value: number): number => Math.round(value * 1000) / 1000;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentiles of the samples (sorted in place). */
export function percentiles(samples: Float64Array): LatencySummary {
  const count = samples.length;
  if (count === 0) return { count, p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0, meanMs: 0 };
  samples.sort();
  const at = (p: number): number => round3(samples[Math.min(count - 1, Math.ceil((p / 100) * count) - 1)]!);
  let sum = 0;
  for (const sample of samples) sum += sample;
  return { count, p50Ms: at(50), p90Ms: at(90), p99Ms: at(99), maxMs: round3(samples[count - 1]!), meanMs: round3(sum / count) };
}

/** A growable array of latency samples that does not allocate per sample. */
export class LatencySamples {
  private buffer = new Float64Array(16_384);
  private length = 0;

  add(ms: number): void {
    if (this.length === this.buffer.length) {
      const bigger = new Float64Array(this.buffer.length * 2);
      bigger.set(this.buffer);
      this.buffer = bigger;
    }
    this.buffer[this.length++] = ms;
  }

  get count(): number {
    return this.length;
  }

  summary(): LatencySummary {
    return percentiles(this.buffer.slice(0, this.length));
  }
}
