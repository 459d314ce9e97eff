import type { IncidentInputRaw } from '@yuqing/shared';

let seq = 0;

/**
 * One general-tier incident as the load reports it: each a distinct post (its own URL
 * and caller id), in the district given (the lapsing district's local plan makes its
 * acknowledgement lapse within the run).
 */
export function benchIncident(district: string): IncidentInputRaw {
  seq++;
  return {
    source: { url: `https://weibo.example.com/bench/${process.pid}/${seq}`, platform: 'weibo', externalId: `bench-${process.pid}-${seq}` },
    title: `压测舆情 ${seq}:网传某超市销售过期食品`,
    topic: 'food_safety',
    district,
    metrics: { reportCount: 3, reach: 500 },
    suggestedTier: 'general',
  };
}
