import { sql } from 'kysely';
import { compileOnce, DistrictOverrideSchema, PolicyDocumentSchema, resolvePolicy, type Db, type DistrictCode, type PolicySnapshot } from '@yuqing/shared';

/**
 * Parsed policy documents by a digest of their content, which PostgreSQL computes:
 * a new incident asks for the newest versions and their digests only, and the
 * document (20 KB for the city) is fetched, validated and kept once per content,
 * not for every incident of a burst. Keyed by content, not version, because one
 * process may serve several databases (tests, a restore).
 */
const parsed = new Map<string, unknown>();
const MAX_PARSED = 100;

/** The newest version of a policy document and a digest of its content. */
export type NewestPolicy = { scope: 'city' | DistrictCode; version: number; digest: string };

/** The newest city policy and, if it has one, the district's plan, as a JSON array: every incident's first question. */
export const newestPoliciesJson = (district: string | null) =>
  sql<NewestPolicy[]>`(select coalesce(json_agg(json_build_object('scope', p.scope, 'version', p.version, 'digest', p.digest)), '[]'::json)
    from (select distinct on (scope) scope, version, encode(sha256(convert_to(document::text, 'UTF8')), 'hex') as digest
            from policies where scope = 'city' or scope = ${district} order by scope, version desc) p)`;

const newestVersions = compileOnce(
  (_db, a: { district: string | null }) => sql<{ policies: NewestPolicy[] }>`select ${newestPoliciesJson(a.district)} as policies`,
);

async function parsedDocument<T>(db: Db, row: NewestPolicy, parse: (doc: unknown) => T): Promise<T> {
  if (!parsed.has(row.digest)) {
    const { document } = await db
      .selectFrom('policies')
      .select('document')
      .where('scope', '=', row.scope)
      .where('version', '=', row.version)
      .executeTakeFirstOrThrow();
    if (parsed.size >= MAX_PARSED) parsed.clear();
    parsed.set(row.digest, parse(document));
  }
  // A copy: what the workflow is given must not share objects with the next incident's.
  return structuredClone(parsed.get(row.digest)) as T;
}

/** The newest city policy with the district's local plan applied, and both versions. */
export async function snapshotPolicy(db: Db, district?: DistrictCode): Promise<PolicySnapshot> {
  const { rows } = await newestVersions.execute(db, { district: district ?? null });
  return policyOf(db, rows[0]!.policies, district);
}

/** The snapshot from the newest versions already read (a document is fetched only the first time its content is seen). */
export async function policyOf(db: Db, newest: readonly NewestPolicy[], district?: DistrictCode): Promise<PolicySnapshot> {
  const city = newest.find((r) => r.scope === 'city');
  if (!city) throw new Error('no city policy: run the migrations');
  const local = district ? newest.find((r) => r.scope === district) : undefined;
  return resolvePolicy(
    { version: city.version, document: await parsedDocument(db, city, (d) => PolicyDocumentSchema.parse(d)) },
    local && district
      ? { scope: district, version: local.version, document: await parsedDocument(db, local, (d) => DistrictOverrideSchema.parse(d)) }
      : undefined,
  );
}
