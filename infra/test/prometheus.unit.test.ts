/**
 * The Prometheus configuration and alert rules, checked by Prometheus's own
 * promtool (Debian's prometheus package; infra/stack.sh deps installs it): the
 * configs and rules load, each alert fires on its fault and stays quiet when
 * healthy (alerts.test.yml), and every metric a rule reads is one the platform
 * declares (shared/src/metrics/metrics.ts) or one the Temporal SDK or Prometheus makes.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { METRIC_NAMES } from '@yuqing/shared';

const dir = path.resolve(__dirname, '..', 'prometheus');

function promtool(...args: string[]): string {
  try {
    return execFileSync('promtool', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { code?: string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('promtool is not installed: run infra/stack.sh deps (or apt-get install prometheus)', { cause: err });
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
  }
}

const rules = parse(readFileSync(path.join(dir, 'alerts.yml'), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
const alerts = rules.groups.flatMap((g) => g.rules);

it('the alert rules pass promtool check rules', () => {
  expect(promtool('check', 'rules', 'alerts.yml')).toMatch(/SUCCESS: \d+ rules found/);
});

it('the dev stack’s Prometheus config passes promtool check config (with its rules)', () => {
  expect(promtool('check', 'config', 'prometheus.yml')).toMatch(/is valid prometheus config file syntax/);
});

it('each alert fires on its fault and stays quiet otherwise (promtool test rules)', () => {
  expect(promtool('test', 'rules', 'alerts.test.yml')).toMatch(/SUCCESS/);
  // Every alert has at least one unit test that expects it to fire.
  const tests = parse(readFileSync(path.join(dir, 'alerts.test.yml'), 'utf8')) as {
    tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
  };
  const firing = new Set(tests.tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
  expect([...firing].sort()).toEqual(alerts.map((a) => a.alert).sort());
});

it('the issue’s five alerts are there', () => {
  expect(alerts.map((a) => a.alert)).toEqual(
    expect.arrayContaining(['DeadlineFiredLate', 'OutboxStuck', 'TimersDueEngineStuck', 'DeadLettersWaiting', 'ConsumerLagGrowing']),
  );
});

it('every yuqing_* metric a rule reads is declared by the platform', () => {
  const declared = new Set(Object.values(METRIC_NAMES) as string[]);
  const read = new Set(alerts.flatMap((a) => [...a.expr.matchAll(/\byuqing_\w+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, ''))));
  expect(read.size).toBeGreaterThan(0);
  for (const name of read) expect(declared).toContain(name);
});
