// What the duty officer hears and sees when it matters (issue 14): a desktop
// notification and a sound on a new 重大/特别重大 incident or a lapsed deadline.
// Muting is the officer's choice, remembered on this device.
import { ref, watch } from 'vue';

const PREFS_ITEM = 'yuqing.console.prefs';

function readPrefs(): { muted: boolean } {
  try {
    return { muted: Boolean((JSON.parse(localStorage.getItem(PREFS_ITEM) ?? '{}') as { muted?: boolean }).muted) };
  } catch {
    return { muted: false };
  }
}

export const muted = ref(readPrefs().muted);
watch(muted, (value) => localStorage.setItem(PREFS_ITEM, JSON.stringify({ muted: value })));

/** 'granted', 'denied', 'default' (not asked yet) or 'unsupported'. */
export const permission = ref<NotificationPermission | 'unsupported'>(typeof Notification === 'undefined' ? 'unsupported' : Notification.permission);

let audio: AudioContext | undefined;

/** Asks for desktop notifications (needs a click) and unlocks sound in the same gesture. */
export async function enableAlerts(): Promise<void> {
  audio ??= new AudioContext();
  await audio.resume().catch(() => undefined);
  if (typeof Notification !== 'undefined' && Notification.permission === 'default') {
    permission.value = await Notification.requestPermission();
  }
}

/** Two short tones: audible across a duty room, not an alarm siren. */
function beep(): void {
  // After a reload the browser lets sound play once the person has touched the page (or always, if so configured).
  audio ??= new AudioContext();
  if (audio.state === 'suspended') void audio.resume().catch(() => undefined);
  const t = audio.currentTime;
  for (const [i, freq] of [880, 660].entries()) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, t + i * 0.25);
    gain.gain.exponentialRampToValueAtTime(0.3, t + i * 0.25 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.25 + 0.22);
    osc.connect(gain).connect(audio.destination);
    osc.start(t + i * 0.25);
    osc.stop(t + i * 0.25 + 0.24);
  }
}

/** What was alerted, so a reconnect or a repeated event does not ring twice. */
const alerted = new Set<string>();

/** Every alert raised in this page (for the page's own banner, and for tests). */
export const recentAlerts = ref<{ key: string; title: string; body: string; at: number; incidentId: string }[]>([]);

export function alert(key: string, title: string, body: string, incidentId: string, open: () => void): void {
  if (alerted.has(key)) return;
  alerted.add(key);
  recentAlerts.value = [{ key, title, body, at: Date.now(), incidentId }, ...recentAlerts.value].slice(0, 20);
  if (muted.value) return;
  beep();
  if (typeof Notification !== 'undefined' && Notification.permission === 'granted') {
    const n = new Notification(title, { body, tag: key, lang: 'zh-CN' });
    n.onclick = () => {
      window.focus();
      open();
      n.close();
    };
  }
}
