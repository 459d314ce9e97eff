/**
 * Appends the figures of the last fault-injection, bad-input and limits runs
 * (.data/reliability/*.json, written by test/faults and test/fuzz) to RELIABILITY.md;
 * the limits table only when test/fuzz/limits.test.ts has left its figures.
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
const limits = read<{ at: string; outcomes: Record<string, Record<string, number>> }>('limits.json');
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
      return `| ${category} | ${total} | ${Object.entries(byStatus).map(([status, n]) => `${status}: ${n}`).join(', ')} |`;
    }),
  ];
}

function fiveHundreds(outcomes: Record<string, Record<string, number>>): number {
  return Object.values(outcomes).reduce((n, byStatus) => n + Object.entries(byStatus).filter(([s]) => Number(s) >= 500).reduce((a, [, c]) => a + c, 0), 0);
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
  '| scenario | fault injected | requests sent | answered 202 | answered 200 on a retry (first answer lost) | retried | 503 answers | refused or broken connections | requests cut mid-way | lost | duplicated incidents | duplicated events | deadlines not alerted exactly once | faults survived | seconds |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...faults.scenarios.map(
    (s) =>
      `| ${s.scenario} | ${s.fault} | ${s.sent} | ${s.accepted} | ${s.answeredDuplicate} | ${s.retriedRequests} | ${s.http503} | ${s.connectionErrors} | ${s.cutMidRequest ?? '—'} | **${s.lost}** | **${s.duplicatedIncidents}** | **${s.duplicatedEvents}** | **${s.missingAlerts}** | ${s.faultsSurvived}/${s.faultsInjected} | ${s.seconds} |`,
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
  `5xx answers: ${fiveHundreds(badInput.outcomes)}; database rows changed by refused requests: 0 (asserted).`,
  '',
  ...(limits
    ? [
        '### Limits',
        '',
        'Over real HTTP to the three services: key presentation, keys in the query string, one key past its limit and its in-flight cap, floods of missing and random keys, and what Node’s HTTP parser refuses.',
        '',
        ...outcomeTable(limits.outcomes),
        '',
        `5xx answers: ${fiveHundreds(limits.outcomes)}; every refusal problem+json and no key in the logs (asserted).`,
        '',
      ]
    : []),
];
appendFileSync(path.join(REPO_ROOT, 'RELIABILITY.md'), lines.join('\n'));
process.stdout.write(`appended the run of ${faults.at} to RELIABILITY.md\n`);
