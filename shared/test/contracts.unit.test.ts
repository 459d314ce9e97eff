import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_POLICY,
  durationMs,
  EVENT_TYPES,
  IncidentInputSchema,
  parseIncidentEvent,
  PolicyDocumentSchema,
  scalePolicy,
  resolvePolicy,
  TASK_KINDS,
  TASK_LABELS,
  EVENT_LABELS,
  TIERS,
  toDistrictCode,
  DISTRICT_CODES,
  DistrictOverrideSchema,
  policyMarkdown,
} from '../src';

const example = {
  source: { url: 'https://weibo.example.com/x', platform: 'weibo', outlet: '微博', detectedAt: '2026-11-28T09:00:00+08:00', externalId: 'mon-20261128-0042' },
  title: '网传南岗区某幼儿园食堂使用变质食材',
  summary: '多名家长发帖称…',
  topic: 'food_safety',
  district: '南岗区',
  metrics: { reportCount: 85, reach: 3000000, spreadPerHour: 40, negativeRatio: 0.8, importantMedia: false },
  flags: [],
  suggestedTier: 'sensitive',
};

describe('intake contract', () => {
  it('accepts the ARCHITECTURE.md example and stores the district as its code', () => {
    const parsed = IncidentInputSchema.parse(example);
    expect(parsed.district).toBe('230103');
  });

  it('accepts district codes and names for all 18 Harbin divisions', () => {
    expect(DISTRICT_CODES).toHaveLength(18);
    expect(toDistrictCode('230184')).toBe('230184');
    expect(toDistrictCode('五常市')).toBe('230184');
    expect(toDistrictCode('朝阳区')).toBeUndefined();
  });

  it('names every bad field', () => {
    const r = IncidentInputSchema.safeParse({
      ...example,
      source: { url: 'ftp://x' },
      topic: 'weather',
      district: '朝阳区',
      metrics: { reach: -1 },
      flags: ['nope'],
      extra: 1,
    });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['source.url', 'topic', 'district', 'metrics.reach', 'flags.0', '']));
    expect(r.error!.issues.find((i) => i.path.length === 0)?.message).toMatch(/extra/);
  });

  it('requires source.url, title and topic', () => {
    const r = IncidentInputSchema.safeParse({});
    expect(r.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['source', 'title', 'topic']);
  });
});

describe('event envelope', () => {
  const base = {
    id: 'incident-x#0001.acknowledged',
    incidentId: '2458f180-f9f1-43db-9118-6b1a83c2b81c',
    tier: 'sensitive',
    occurredAt: '2026-11-28T09:00:00+08:00',
    schemaVersion: 1,
  };

  it('validates an event by its type', () => {
    const e = parseIncidentEvent({ ...base, type: 'acknowledged', data: { unitId: 'district-230103' } });
    expect(e.type).toBe('acknowledged');
  });

  it('rejects data that does not match the type, an unknown type and a missing offset', () => {
    expect(() => parseIncidentEvent({ ...base, type: 'acknowledged', data: {} })).toThrow(/unitId/);
    expect(() => parseIncidentEvent({ ...base, type: 'teleported', data: {} })).toThrow();
    expect(() => parseIncidentEvent({ ...base, occurredAt: '2026-11-28 09:00', type: 'archived', data: {} })).toThrow(/occurredAt/);
  });

  it('reads a lapse recorded before the owner was called `owner` (it was `accountable`)', () => {
    const data = { taskKey: 'digest', taskKind: 'digest', dueAt: '2026-11-28T09:00:00+08:00', lapsedAt: '2026-11-28T09:00:01+08:00', lateMs: 1000 };
    const owner = { role: 'opinion_office', unitId: 'opinion-office' };
    const old = parseIncidentEvent({ ...base, type: 'deadline_lapsed', data: { ...data, accountable: owner } });
    const now = parseIncidentEvent({ ...base, type: 'deadline_lapsed', data: { ...data, owner } });
    expect(old.type === 'deadline_lapsed' && old.data.owner).toEqual(owner);
    expect(now).toEqual(old);
  });

  it('has the event types ARCHITECTURE.md asks for, each with a Chinese label', () => {
    for (const t of [
      'received',
      'assessed',
      'tier_changed',
      'dispatched',
      'acknowledged',
      'report_submitted',
      'digest_ready',
      'approval_recorded',
      'released',
      'deadline_lapsed',
      'escalated',
      'reminder_sent',
      'closed',
    ]) {
      expect(EVENT_TYPES).toContain(t);
    }
    for (const t of EVENT_TYPES) expect(EVENT_LABELS[t]).toMatch(/\p{Script=Han}/u);
    for (const k of TASK_KINDS) expect(TASK_LABELS[k]).toMatch(/\p{Script=Han}/u);
  });
});

describe('default policy', () => {
  const policy = PolicyDocumentSchema.parse(DEFAULT_POLICY);
  const task = (tier: (typeof TIERS)[number], kind: string) => policy.tiers[tier].tasks.find((t) => t.kind === kind);

  it('holds the two deadlines the plan names for critical incidents', () => {
    expect(durationMs(task('critical', 'authoritative_release')!.deadline!)).toBe(4 * 3_600_000);
    expect(durationMs(task('critical', 'press_conference')!.deadline!)).toBe(24 * 3_600_000);
    expect(task('critical', 'authoritative_release')!.requires).toContain('talking_points_approval');
  });

  it('follows the paths of plan §5 tier by tier', () => {
    expect(task('general', 'digest')).toBeUndefined();
    expect(task('sensitive', 'digest')).toBeDefined();
    expect(task('sensitive', 'digest_signoff')!.after).toEqual(['digest']);
    expect(task('sensitive', 'emergency_procedure')).toBeUndefined();
    for (const kind of ['emergency_procedure', 'coordination_meeting', 'legal_guidance', 'leadership_materials', 'talking_points_reported', 'review']) {
      expect(task('major', kind)).toBeDefined();
    }
    expect(task('critical', 'report_upward')).toBeDefined();
    expect(task('major', 'review')!.phase).toBe('closing');
    expect(task('sensitive', 'review')).toBeUndefined();
    expect(task('sensitive', 'talking_points_approval')!.approvals).toEqual(['leader_in_charge', 'leader']);
    expect(policy.tiers.general.assign).toBe('department_or_district');
    expect(policy.tiers.major.lead).toBe('city');
  });

  it('escalates every lapsed clock: each task with a deadline has a chain', () => {
    for (const tier of TIERS) {
      for (const t of policy.tiers[tier].tasks) if (t.deadline) expect(t.chain.length).toBeGreaterThan(0);
    }
  });

  it('scales to second-scale clocks for tests', () => {
    const fast = PolicyDocumentSchema.parse(scalePolicy(DEFAULT_POLICY, 1 / 3600));
    expect(fast.tiers.critical.tasks.find((t) => t.kind === 'authoritative_release')!.deadline).toBe('4000ms');
    expect(fast.tiers.critical.tasks.find((t) => t.kind === 'press_conference')!.deadline).toBe('24000ms');
    expect(fast.tiers.general.tasks[0]!.chain[0]!.after).toBe('0ms');
  });

  it('refuses a task twice in one tier, naming where', () => {
    const doc = structuredClone(DEFAULT_POLICY);
    doc.tiers.general.tasks.push(doc.tiers.general.tasks[0]!);
    const r = PolicyDocumentSchema.safeParse(doc);
    expect(r.error!.issues[0]!.path).toEqual(['tiers', 'general', 'tasks', doc.tiers.general.tasks.length - 1, 'kind']);
  });

  it('applies a district plan to deadlines only, and records both versions', () => {
    const local = DistrictOverrideSchema.parse({ name: '南岗区预案', tiers: { general: { acknowledge: { deadline: '1h' } } } });
    const snap = resolvePolicy({ version: 3, document: policy }, { scope: '230103', version: 2, document: local });
    expect(snap.version).toBe('city@3+230103@2');
    expect(snap.document.tiers.general.tasks.find((t) => t.kind === 'acknowledge')!.deadline).toBe('1h');
    expect(policy.tiers.general.tasks.find((t) => t.kind === 'acknowledge')!.deadline).toBe('2h');
  });
});

describe('docs/policy.md', () => {
  it('is up to date with the default policy (npm run docs:policy)', () => {
    const onDisk = readFileSync(path.join(__dirname, '..', '..', 'docs', 'policy.md'), 'utf8');
    expect(onDisk).toBe(policyMarkdown(PolicyDocumentSchema.parse(DEFAULT_POLICY)));
  });
});
