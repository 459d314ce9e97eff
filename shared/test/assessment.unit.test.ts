import { assessTier, SPREAD_THRESHOLDS, suggestedOnly } from '../src/domain/assessment';

describe('tier assessment (plan §4)', () => {
  it('assesses the ARCHITECTURE.md example as sensitive, with its reasons', () => {
    const a = assessTier({
      metrics: { reportCount: 85, reach: 3_000_000, spreadPerHour: 40, negativeRatio: 0.8, importantMedia: false },
      flags: [],
      suggestedTier: 'sensitive',
    });
    expect(a.tier).toBe('sensitive');
    expect(a.reasons.map((r) => r.rule)).toEqual(
      expect.arrayContaining(['suggested_tier', 'report_count>=sensitive', 'reach>=sensitive', 'spread_per_hour>=sensitive']),
    );
  });

  it('is general when little is known', () => {
    expect(assessTier({}).tier).toBe('general');
    expect(assessTier({ metrics: { reportCount: SPREAD_THRESHOLDS.sensitive.reportCount - 1 } }).tier).toBe('general');
  });

  it.each([
    ['misreads_bureau_document', 'major'],
    ['public_vital_interest', 'major'],
    ['livelihood', 'major'],
    ['moral_bottom_line', 'major'],
    ['city_government_requests_response', 'major'],
    ['tied_to_emergency', 'critical'],
  ] as const)('flag %s makes the tier at least %s', (flag, floor) => {
    expect(assessTier({ flags: [flag] }).tier).toBe(floor);
    expect(assessTier({ flags: [flag], suggestedTier: 'general' }).tier).toBe(floor);
  });

  it('takes important media or wide spread as major', () => {
    expect(assessTier({ metrics: { importantMedia: true } }).tier).toBe('major');
    expect(assessTier({ metrics: { reach: SPREAD_THRESHOLDS.major.reach } }).tier).toBe('major');
    expect(assessTier({ metrics: { spreadPerHour: SPREAD_THRESHOLDS.major.spreadPerHour } }).tier).toBe('major');
  });

  it('lets a suggestion raise the tier but never lower what the rules found', () => {
    expect(assessTier({ suggestedTier: 'critical' }).tier).toBe('critical');
    expect(assessTier({ suggestedTier: 'general', flags: ['livelihood'] }).tier).toBe('major');
  });

  it('does not take wide reach with little negative sentiment as a risk by itself, and says so', () => {
    const mild = assessTier({ metrics: { reach: SPREAD_THRESHOLDS.major.reach, spreadPerHour: 1, negativeRatio: 0.1 } });
    expect(mild.tier).toBe('general');
    expect(mild.reasons).toEqual([{ rule: 'reach>=major but negative_ratio<0.3', tier: 'general' }]);
    // Many reports still count, and so does reach when sentiment is negative or unknown.
    expect(
      assessTier({ metrics: { reportCount: SPREAD_THRESHOLDS.sensitive.reportCount, reach: SPREAD_THRESHOLDS.major.reach, negativeRatio: 0.1 } }).tier,
    ).toBe('sensitive');
    expect(assessTier({ metrics: { reach: SPREAD_THRESHOLDS.major.reach, negativeRatio: 0.6 } }).tier).toBe('major');
    expect(assessTier({ metrics: { reach: SPREAD_THRESHOLDS.major.reach } }).tier).toBe('major');
  });

  it('tells when the tier rests on the reporter’s word alone', () => {
    expect(suggestedOnly(assessTier({ suggestedTier: 'critical', metrics: { reportCount: 60 } }))).toBe(true);
    expect(suggestedOnly(assessTier({ suggestedTier: 'critical', flags: ['tied_to_emergency'] }))).toBe(false);
    expect(suggestedOnly(assessTier({ metrics: { reportCount: 60 } }))).toBe(false);
  });

  it('lists the most severe reason first', () => {
    const a = assessTier({ flags: ['tied_to_emergency'], metrics: { reportCount: 60 } });
    expect(a.reasons[0]).toEqual({ rule: 'flag:tied_to_emergency', tier: 'critical' });
  });
});
