import { z } from 'zod';
import type { Db } from '../db/database';
import { durationMs } from '../domain/durations';
import { CHAIN_ACTIONS, ROLES, type ChainAction, type TaskKind, type Tier } from '../domain/vocabulary';
import { findPolicy } from './policy.repository';
import { resolvePolicy } from './resolve';
import type { DistrictOverride, PolicyDocument, PolicySnapshot, TaskPolicy } from './policy.schema';

/** What happens next to an open task if nobody acts: a reminder or an escalation, when, and to whom. */
export const NextEscalationSchema = z.object({
  action: z.enum(CHAIN_ACTIONS),
  at: z.string(),
  /** Roles reached; `owner` is the task's own unit or role. */
  notify: z.array(z.union([z.enum(ROLES), z.literal('owner')])),
});
export type NextEscalation = z.infer<typeof NextEscalationSchema>;

/**
 * The next step the deadline watcher takes for a task (workflows/src/incident/
 * deadline-watcher.ts): the advance reminder before the deadline, then each link of
 * the chain after it. Null when nothing more is planned.
 */
export function nextEscalation(task: Pick<TaskPolicy, 'warnBefore' | 'chain'>, dueAt: Date, now: Date): NextEscalation | null {
  const due = dueAt.getTime();
  const steps: { at: number; action: ChainAction; notify: NextEscalation['notify'] }[] = [];
  if (task.warnBefore) steps.push({ at: due - durationMs(task.warnBefore), action: 'remind', notify: ['owner'] });
  for (const link of task.chain) steps.push({ at: due + durationMs(link.after), action: link.action, notify: [...link.notify] });
  const next = steps.filter((s) => s.at > now.getTime()).sort((a, b) => a.at - b.at)[0];
  return next ? { action: next.action, at: new Date(next.at).toISOString(), notify: next.notify } : null;
}

/**
 * The policy a workflow runs with, from its version (`city@3`, `city@3+230103@1`);
 * versions never change once published, so callers may keep what this returns.
 */
export async function policyOfVersion(db: Db, version: string): Promise<PolicySnapshot | undefined> {
  const m = /^city@(\d+)(?:\+(\d{6})@(\d+))?$/.exec(version);
  if (!m) return undefined;
  const city = await findPolicy(db, 'city', Number(m[1]));
  if (!city) return undefined;
  const district = m[2] ? await findPolicy(db, m[2] as never, Number(m[3])) : undefined;
  return resolvePolicy(
    { version: city.version, document: city.document as PolicyDocument },
    district ? { scope: district.scope, version: district.version, document: district.document as DistrictOverride } : undefined,
  );
}

/** A cache of `policyOfVersion` and a lookup of one task's policy in it. */
export function policyTasks(db: Db): (version: string | null, tier: Tier, kind: TaskKind) => Promise<TaskPolicy | undefined> {
  const snapshots = new Map<string, Promise<PolicySnapshot | undefined>>();
  return async (version, tier, kind) => {
    if (!version) return undefined;
    let snapshot = snapshots.get(version);
    if (!snapshot) {
      snapshot = policyOfVersion(db, version).catch(() => undefined);
      snapshots.set(version, snapshot);
    }
    return (await snapshot)?.document.tiers[tier].tasks.find((t) => t.kind === kind);
  };
}
