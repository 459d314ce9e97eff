import {
  DistrictOverrideSchema,
  PolicyDocumentSchema,
  resolvePolicy,
  type Db,
  type PolicySnapshot,
} from '@yuqing/shared';

/** Reads the newest version of a policy scope (`city` or a district code). */
export async function latestPolicy(db: Db, scope: string): Promise<{ version: number; document: unknown } | undefined> {
  return db
    .selectFrom('policies')
    .select(['version', 'document'])
    .where('scope', '=', scope)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** The policy activity: the workflow snapshots its result once, at start. */
export function createPolicyActivities({ db }: { db: Db }) {
  return {
    /** The city policy with the district's local plan applied, and both versions. */
    async snapshotPolicy(input: { district?: string }): Promise<PolicySnapshot> {
      const city = await latestPolicy(db, 'city');
      if (!city) throw new Error('no city policy: run the migrations');
      const cityDoc = { version: city.version, document: PolicyDocumentSchema.parse(city.document) };
      const local = input.district ? await latestPolicy(db, input.district) : undefined;
      return resolvePolicy(
        cityDoc,
        local && input.district ? { scope: input.district, version: local.version, document: DistrictOverrideSchema.parse(local.document) } : undefined,
      );
    },
  };
}
