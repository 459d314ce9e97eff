import { sql, type Transaction } from 'kysely';
import type { Database, Db } from '@yuqing/shared';

type Executor = Db | Transaction<Database>;

export type RuleKind = 'topic' | 'district' | 'role';

export interface RoutingRule {
  readonly kind: RuleKind;
  readonly match: string;
  readonly unitId: string;
  readonly unitName: string;
  readonly updatedAt: Date;
}

export async function listRules(db: Executor): Promise<RoutingRule[]> {
  const rows = await db
    .selectFrom('routingRules')
    .innerJoin('units', 'units.id', 'routingRules.unitId')
    .select(['routingRules.kind', 'routingRules.match', 'routingRules.unitId', 'units.name as unitName', 'routingRules.updatedAt'])
    .orderBy('routingRules.kind')
    .orderBy('routingRules.match')
    .execute();
  return rows;
}

/** Sets one rule (insert or replace). */
export async function upsertRule(db: Executor, rule: { kind: RuleKind; match: string; unitId: string }): Promise<void> {
  await db
    .insertInto('routingRules')
    .values(rule)
    .onConflict((oc) => oc.columns(['kind', 'match']).doUpdateSet({ unitId: rule.unitId, updatedAt: sql`now()` }))
    .execute();
}

/** Replaces every rule with the given set. */
export async function replaceRules(trx: Transaction<Database>, rules: readonly { kind: RuleKind; match: string; unitId: string }[]): Promise<void> {
  const keep = new Set(rules.map((r) => `${r.kind}:${r.match}`));
  const existing = await trx.selectFrom('routingRules').select(['id', 'kind', 'match']).execute();
  const gone = existing.filter((r) => !keep.has(`${r.kind}:${r.match}`)).map((r) => r.id);
  if (gone.length) await trx.deleteFrom('routingRules').where('id', 'in', gone).execute();
  for (const rule of rules) await upsertRule(trx, rule);
}
