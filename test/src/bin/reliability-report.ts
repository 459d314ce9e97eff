/**
 * Appends the figures of the last runs (.data/reliability/*.json) to
 * RELIABILITY.md: faults and bad input (test/faults, test/fuzz/bad-input), and,
 * when they have left figures, outbound addresses and limits (test/fuzz) and the
 * access rules tried per role (test/e2e/access).
 * Run through `npm run reliability`, which runs both suites first.
 */
import { execSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../env';

interface Scenario {
  scenario: string;
  fault: string;
  sent: number;
  accepted: number;
  answeredDuplicate: number;
  retriedRequests: number;
  http503: number;
  connectionErrors: number;
  cutMidRequest?: number;
  resetReused?: number;
  lost: number;
  duplicatedIncidents: number;
  duplicatedEvents: number;
  missingAlerts: number;
  faultsInjected: number;
  faultsSurvived: number;
  seconds: number;
}

const dir = path.join(REPO_ROOT, '.data', 'reliability');
const read = <T>(file: string): T | undefined => (existsSync(path.join(dir, file)) ? (JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as T) : undefined);
const faults = read<{ at: string; scenarios: Scenario[] }>('faults.json');
const badInput = read<{ at: string; outcomes: Record<string, Record<string, number>> }>('bad-input.json');
/** Optional: older runs and partial ones have no outbound figures. */
const outbound = read<{ at: string; outcomes: Record<string, Record<string, number>> }>('outbound.json');
/** Optional: the limits run over real HTTP (test/fuzz/limits.test.ts). */
const limits = read<{ at: string; outcomes: Record<string, Record<string, number>> }>('limits.json');
/** Optional: the access rules tried per role (test/e2e/access.test.ts). */
const access = read<{ at: string; attempts: { rule: string; role: string; request: string; expected: number; got: number }[] }>('access.json');
if (!faults || !badInput) {
  process.stderr.write('no results in .data/reliability: run `npm run reliability`\n');
  process.exit(1);
}

/** Requests per category and their answers by status. */
function outcomeTable(outcomes: Record<string, Record<string, number>>): string[] {
  return [
    '| category | requests | answers |',
    '| --- | ---: | --- |',
    ...Object.entries(outcomes).map(([category, byStatus]) => {
      const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
      return `| ${category} | ${total} | ${Object.entries(byStatus)
        .map(([status, n]) => `${status}: ${n}`)
        .join(', ')} |`;
    }),
  ];
}

const answered = (outcomes: Record<string, Record<string, number>>, filter: (status: number) => boolean) =>
  Object.values(outcomes).reduce(
    (n, byStatus) =>
      n +
      Object.entries(byStatus)
        .filter(([s]) => filter(Number(s)))
        .reduce((a, [, c]) => a + c, 0),
    0,
  );

/** Channels pointed at our own network (loopback, private, metadata…), by POST and PATCH: all must be refused. */
function outboundTable(outcomes: Record<string, Record<string, number>>): string[] {
  return [
    '### Outbound',
    '',
    'Webhook and robot channels aimed at our own network, by POST /v1/channels and PATCH /v1/channels/<id>.',
    '',
    ...outcomeTable(outcomes),
    '',
    `Accepted: **${answered(outcomes, (s) => s < 400)}** of ${answered(outcomes, () => true)}; database rows changed by refused requests: 0 (asserted).`,
    '',
  ];
}

function limitsTable(outcomes: Record<string, Record<string, number>>): string[] {
  return [
    '### Limits',
    '',
    'Over real HTTP to the three services: key presentation, keys in the query string, one key past its limit and its in-flight cap, floods of missing and random keys, and what Node’s HTTP parser refuses.',
    '',
    ...outcomeTable(outcomes),
    '',
    `5xx answers: ${answered(outcomes, (s) => s >= 500)}; every refusal problem+json and no key in the logs (asserted).`,
    '',
  ];
}

/** Each access rule, the roles it was tried with, and what each was answered: refusals and the legitimate actions that took effect. */
function accessTable(attempts: NonNullable<typeof access>['attempts']): string[] {
  const rules = [...new Set(attempts.map((a) => a.rule))];
  const wrong = attempts.filter((a) => a.expected !== a.got).length;
  return [
    '### Access rules tried per role',
    '',
    'Each rule tried from outside with the key of each role that should be refused and of one that may act (whose action was then checked to have taken effect). A cell lists the answers that role got.',
    '',
    '| rule | role → answers |',
    '| --- | --- |',
    ...rules.map((rule) => {
      const byRole = new Map<string, number[]>();
      for (const a of attempts.filter((x) => x.rule === rule)) byRole.set(a.role, [...(byRole.get(a.role) ?? []), a.got]);
      return `| ${rule} | ${[...byRole].map(([role, codes]) => `${role}: ${codes.join(', ')}`).join('; ')} |`;
    }),
    '',
    `${attempts.length} attempts, ${attempts.filter((a) => a.got >= 400).length} refused, ${attempts.filter((a) => a.got < 400).length} allowed; answers other than the rule expects: **${wrong}**.`,
    '',
  ];
}

const commit = execSync('git rev-parse --short HEAD', { cwd: REPO_ROOT }).toString().trim();
const lines: string[] = [
  '',
  `## Run of ${faults.at.slice(0, 16).replace('T', ' ')} UTC — commit ${commit}`,
  '',
  `Machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}.`,
  '',
  '### Faults',
  '',
  '| scenario | fault injected | requests sent | answered 202 | answered 200 on a retry (first answer lost) | retried | 503 answers | refused or broken connections | requests cut mid-way | reset on a reused connection before any answer (sent again) | lost | duplicated incidents | duplicated events | deadlines not alerted exactly once | faults survived | seconds |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...faults.scenarios.map(
    (s) =>
      `| ${s.scenario} | ${s.fault} | ${s.sent} | ${s.accepted} | ${s.answeredDuplicate} | ${s.retriedRequests} | ${s.http503} | ${s.connectionErrors} | ${s.cutMidRequest ?? '—'} | ${s.resetReused ?? '—'} | **${s.lost}** | **${s.duplicatedIncidents}** | **${s.duplicatedEvents}** | **${s.missingAlerts}** | ${s.faultsSurvived}/${s.faultsInjected} | ${s.seconds} |`,
  ),
  '',
  `Totals: ${faults.scenarios.reduce((n, s) => n + s.sent, 0)} requests, ${faults.scenarios.reduce((n, s) => n + s.accepted + s.answeredDuplicate, 0)} accepted, ` +
    `${faults.scenarios.reduce((n, s) => n + s.lost, 0)} lost, ${faults.scenarios.reduce((n, s) => n + s.duplicatedIncidents + s.duplicatedEvents, 0)} duplicated, ` +
    `${faults.scenarios.reduce((n, s) => n + s.faultsSurvived, 0)}/${faults.scenarios.reduce((n, s) => n + s.faultsInjected, 0)} faults survived.`,
  '',
  '### Bad input',
  '',
  ...outcomeTable(badInput.outcomes),
  '',
  `5xx answers: ${answered(badInput.outcomes, (s) => s >= 500)}; database rows changed by refused requests: 0 (asserted).`,
  '',
  ...(outbound ? outboundTable(outbound.outcomes) : []),
  ...(limits ? limitsTable(limits.outcomes) : []),
  ...(access ? accessTable(access.attempts) : []),
];
appendFileSync(path.join(REPO_ROOT, 'RELIABILITY.md'), lines.join('\n'));
process.stdout.write(`appended the run of ${faults.at} to RELIABILITY.md\n`);
