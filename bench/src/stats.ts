import { build } from 'hdr-histogram-js';

/** Latency percentiles in milliseconds, from an HDR histogram (microsecond resolution). */
export class Latencies {
  private readonly h = build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  count = 0;
  record(ms: number): void {
    this.h.recordValue(Math.max(1, Math.round(ms * 1000)));
    this.count++;
  }
  p(q: number): number {
    return this.count ? Math.round(this.h.getValueAtPercentile(q) / 100) / 10 : NaN;
  }
  get max(): number {
    return this.count ? Math.round(this.h.maxValue / 100) / 10 : NaN;
  }
  summary() {
    return { count: this.count, p50: this.p(50), p95: this.p(95), p99: this.p(99), max: this.max };
  }
}

/** Resident set size of a process in MiB (Linux /proc). */
export function rssMiB(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const status = require('node:fs').readFileSync(`/proc/${pid}/status`, 'utf8') as string;
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return Math.round((kb / 1024) * 10) / 10;
  } catch {
    return undefined;
  }
}
