import { assessmentReasonLabel, nextEscalation } from '../src';

describe('nextEscalation', () => {
  const task = {
    warnBefore: '1h',
    chain: [
      { after: '0s', action: 'remind' as const, notify: ['owner' as const] },
      { after: '30m', action: 'escalate' as const, notify: ['leader_in_charge' as const, 'opinion_office' as const] },
    ],
  };
  const due = new Date('2026-11-28T13:00:00Z');
  const at = (iso: string) => nextEscalation(task, due, new Date(iso));

  it('is the advance reminder, then the lapse reminder, then the escalation, then nothing', () => {
    expect(at('2026-11-28T11:00:00Z')).toEqual({ action: 'remind', at: '2026-11-28T12:00:00.000Z', notify: ['owner'] });
    expect(at('2026-11-28T12:30:00Z')).toEqual({ action: 'remind', at: '2026-11-28T13:00:00.000Z', notify: ['owner'] });
    expect(at('2026-11-28T13:10:00Z')).toEqual({ action: 'escalate', at: '2026-11-28T13:30:00.000Z', notify: ['leader_in_charge', 'opinion_office'] });
    expect(at('2026-11-28T14:00:00Z')).toBeNull();
  });

  it('without an advance reminder, the first link of the chain comes next', () => {
    expect(nextEscalation({ chain: task.chain }, due, new Date('2026-11-28T11:00:00Z'))?.at).toBe('2026-11-28T13:00:00.000Z');
  });
});

describe('assessmentReasonLabel', () => {
  it('words every rule of assessTier in Chinese', () => {
    expect(assessmentReasonLabel('suggested_tier', 'major')).toBe('监测平台建议定为重大舆情');
    expect(assessmentReasonLabel('flag:tied_to_emergency', 'critical')).toMatch(/^.+,至少为特别重大舆情$/);
    expect(assessmentReasonLabel('important_media', 'major')).toBe('重要媒体报道,至少为重大舆情');
    expect(assessmentReasonLabel('report_count>=sensitive', 'sensitive')).toBe('报道量达到敏感舆情标准');
    expect(assessmentReasonLabel('spread_per_hour>=major', 'major')).toBe('传播速度达到重大舆情标准');
  });
});
