import {
  DistrictOverrideSchema,
  findPolicy,
  PolicyDocumentSchema,
  resolvePolicy,
  type Db,
  type PolicySnapshot,
} from '@yuqing/shared';

/** The policy activity: the workflow snapshots its result once, at start. */
export function createPolicyActivities({ db }: { db: Db }) {
  return {
    /** The city policy with the district's local plan applied, and both versions. */
    async snapshotPolicy(input: { district?: string }): Promise<PolicySnapshot> {
      const city = await findPolicy(db, 'city');
      if (!city) throw new Error('no city policy: run the migrations');
      const cityDoc = { version: city.version, document: PolicyDocumentSchema.parse(city.document) };
      const local = input.district ? await findPolicy(db, input.district) : undefined;
      return resolvePolicy(
        cityDoc,
        local && input.district ? { scope: input.district, version: local.version, document: DistrictOverrideSchema.parse(local.document) } : undefined,
      );
    },
  };
}
