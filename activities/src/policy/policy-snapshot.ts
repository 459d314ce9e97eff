import { createHash } from 'node:crypto';
import { DistrictOverrideSchema, findPolicy, PolicyDocumentSchema, resolvePolicy, type Db, type DistrictCode, type PolicySnapshot } from '@yuqing/shared';

/**
 * Parsed policy documents by content: validating the whole policy for every new
 * incident is wasted work in a burst. Keyed by a hash of the document, not its
 * version, because one process may serve several databases (tests, a restore).
 */
const parsed = new Map<string, unknown>();

function parseOnce<T>(document: unknown, parse: (doc: unknown) => T): T {
  const key = createHash('sha1').update(JSON.stringify(document)).digest('hex');
  if (!parsed.has(key)) {
    if (parsed.size > 100) parsed.clear();
    parsed.set(key, parse(document));
  }
  return structuredClone(parsed.get(key)) as T;
}

/** The newest city policy with the district's local plan applied, and both versions. */
export async function snapshotPolicy(db: Db, district?: DistrictCode): Promise<PolicySnapshot> {
  const [city, local] = await Promise.all([findPolicy(db, 'city'), district ? findPolicy(db, district) : undefined]);
  if (!city) throw new Error('no city policy: run the migrations');
  const cityDoc = parseOnce(city.document, (d) => PolicyDocumentSchema.parse(d));
  return resolvePolicy(
    { version: city.version, document: cityDoc },
    local && district ? { scope: district, version: local.version, document: parseOnce(local.document, (d) => DistrictOverrideSchema.parse(d)) } : undefined,
  );
}
