import { sql } from 'kysely';
import { createApiClient, PolicyDocumentSchema, type Db, type IncidentInputRaw, type PolicyDocumentInput, type Role, type Scope } from '@yuqing/shared';
import { uniqueToken } from './env';

/** Publishes a policy as the newest city version; returns its version number. */
export async function publishCityPolicy(db: Db, doc: PolicyDocumentInput): Promise<number> {
  const parsed = PolicyDocumentSchema.parse(doc);
  const row = await db
    .insertInto('policies')
    .values({
      scope: 'city',
      version: sql<number>`(select coalesce(max(version), 0) + 1 from policies where scope = 'city')`,
      document: JSON.stringify(parsed),
      createdBy: 'test',
      note: 'test policy',
    })
    .returning('version')
    .executeTakeFirstOrThrow();
  return row.version;
}

/** An API key for a system client or, with `roles`, for a person of a unit. */
export async function createTestKey(db: Db, options: { scopes: Scope[]; unitId?: string; roles?: Role[]; id?: string }): Promise<string> {
  const id = options.id ?? `test-${uniqueToken()}`;
  if (options.roles) {
    await db
      .insertInto('persons')
      .values({ id: `person-${id}`, unitId: options.unitId ?? 'opinion-office', name: `测试人员 ${id}`, roles: JSON.stringify(options.roles) })
      .execute();
  }
  return createApiClient(db, {
    id,
    name: `test ${id}`,
    scopes: options.scopes,
    ...(options.unitId ? { unitId: options.unitId } : {}),
    ...(options.roles ? { personId: `person-${id}` } : {}),
  });
}

/** The example incident of ARCHITECTURE.md, with overrides. */
export function sampleIncident(overrides: Partial<IncidentInputRaw> = {}): IncidentInputRaw {
  return {
    source: {
      url: 'https://weibo.example.com/1234567890/Nabc',
      platform: 'weibo',
      outlet: '微博',
      detectedAt: '2026-11-28T09:00:00+08:00',
      externalId: `mon-${uniqueToken()}`,
    },
    title: '网传南岗区某幼儿园食堂使用变质食材',
    summary: '多名家长发帖称孩子食用后出现不适,帖子转发量快速上升。',
    topic: 'food_safety',
    district: '南岗区',
    metrics: { reportCount: 85, reach: 3_000_000, spreadPerHour: 40, negativeRatio: 0.8, importantMedia: false },
    flags: [],
    suggestedTier: 'sensitive',
    ...overrides,
  };
}
