// The duty view's rules (issue 14): an open task is red once its deadline has
// passed, amber when less than a quarter of its time is left; incidents are
// ordered lapsed first (most lapsed first), then by the nearest deadline.

export interface ClockedTask {
  readonly key: string;
  readonly openedAt: string | null;
  readonly dueAt: string | null;
  readonly unitId: string | null;
  readonly unitName: string | null;
  readonly ownerLabel?: string;
  readonly owner: string;
}

export type Urgency = 'lapsed' | 'amber' | 'normal' | 'none';

/** A deadline's state at `now`. */
export function urgencyOf(task: Pick<ClockedTask, 'openedAt' | 'dueAt'>, now: number): Urgency {
  if (!task.dueAt) return 'none';
  const due = Date.parse(task.dueAt);
  if (due <= now) return 'lapsed';
  const opened = task.openedAt ? Date.parse(task.openedAt) : NaN;
  const allowed = due - opened;
  if (Number.isFinite(allowed) && allowed > 0 && (due - now) / allowed < 0.25) return 'amber';
  return 'normal';
}

const RANK: Record<Urgency, number> = { lapsed: 0, amber: 1, normal: 2, none: 3 };

/** The most urgent state among tasks. */
export function worst(tasks: readonly Pick<ClockedTask, 'openedAt' | 'dueAt'>[], now: number): Urgency {
  return tasks.map((t) => urgencyOf(t, now)).reduce<Urgency>((a, b) => (RANK[b] < RANK[a] ? b : a), 'none');
}

/** Who is late: the units (or roles) of the open tasks past their deadline, each once. */
export function lateParties(tasks: readonly ClockedTask[], now: number): string[] {
  const names = tasks.filter((t) => urgencyOf(t, now) === 'lapsed').map((t) => t.unitName ?? t.ownerLabel ?? t.owner);
  return [...new Set(names)];
}

/** The nearest deadline among tasks (epoch ms), or Infinity. */
export function nearestDue(tasks: readonly Pick<ClockedTask, 'dueAt'>[]): number {
  return Math.min(Infinity, ...tasks.filter((t) => t.dueAt).map((t) => Date.parse(t.dueAt!)));
}

/** Lapsed incidents first, then the nearest deadline; `tasks` gives an item's open tasks. */
export function byUrgency<T>(items: readonly T[], tasks: (item: T) => readonly ClockedTask[], now: number): T[] {
  return [...items].sort((a, b) => {
    const ta = tasks(a);
    const tb = tasks(b);
    const la = worst(ta, now) === 'lapsed' ? 0 : 1;
    const lb = worst(tb, now) === 'lapsed' ? 0 : 1;
    return la - lb || nearestDue(ta) - nearestDue(tb);
  });
}
