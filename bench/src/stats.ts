import { readdirSync, readFileSync } from 'node:fs';
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
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return Math.round((kb / 1024) * 10) / 10;
  } catch {
    return undefined;
  }
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** A process's parent and its CPU ticks (own and reaped children's, user + system), from /proc/<pid>/stat. */
function readStat(pid: number): { ppid: number; ticks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces: fields start after its closing parenthesis.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) };
  } catch {
    return undefined;
  }
}

/**
 * CPU milliseconds used so far by a process and all its live descendants (Linux
 * /proc): PostgreSQL's backends are children of the postmaster, and the time of
 * those that exited is already in their parent's reaped-children counters.
 */
export function cpuMs(rootPid: number | undefined): number | undefined {
  if (!rootPid) return undefined;
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = readStat(Number(entry));
    if (s) stats.set(Number(entry), s);
  }
  if (!stats.has(rootPid)) return undefined;
  const children = new Map<number, number[]>();
  for (const [pid, s] of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
  let ticks = 0;
  const queue = [rootPid];
  while (queue.length) {
    const pid = queue.pop()!;
    ticks += stats.get(pid)?.ticks ?? 0;
    queue.push(...(children.get(pid) ?? []));
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}
