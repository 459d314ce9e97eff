// Alerts raised from the live stream wherever the person is in the console: a new
// 重大/特别重大 incident (or one raised to it) and every lapsed deadline.
import { alert } from './alerting';
import { label } from './labels';
import { onLive } from './live';
import { router } from './router';

const SERIOUS = new Set(['major', 'critical']);

export function startWatchers(): void {
  onLive((m) => {
    if (m.event !== 'incident') return;
    const { incidentId, entry } = m.data;
    const open = () => void router.push({ name: 'incident', params: { id: incidentId } });
    if ((entry.type === 'assessed' || entry.type === 'dispatched') && SERIOUS.has(entry.tier)) {
      alert(`new:${incidentId}`, `新${label('tiers', entry.tier)}`, entry.text, incidentId, open);
    } else if (entry.type === 'tier_changed' && SERIOUS.has(String(entry.data?.to))) {
      alert(`tier:${incidentId}:${String(entry.data?.to)}`, `升级为${label('tiers', String(entry.data?.to))}`, entry.text, incidentId, open);
    } else if (entry.type === 'deadline_lapsed') {
      alert(`lapse:${entry.eventId}`, '事项超时', entry.text, incidentId, open);
    }
  });
}
