import { releaseChannelExists, type Db } from '@yuqing/shared';
import { problems } from '@yuqing/http-kit';

/** One field error, for 422s raised by hand. */
export function fieldError(field: string, message: string) {
  return { field, pointer: `/${field.split('.').join('/')}`, message };
}

/**
 * Refuses a release that names no known, active release channel (两微一端) with 422
 * naming the field; the channels are data (`GET /v1/release-channels`).
 */
export async function requireReleaseChannel(db: Db, channel: unknown, field = 'body.channel'): Promise<void> {
  if (typeof channel === 'string' && (await releaseChannelExists(db, channel))) return;
  const shown = typeof channel === 'string' ? channel.slice(0, 100) : String(channel);
  throw problems.invalid(`未知或已停用的发布渠道:${shown} (unknown or retired release channel)`, [
    fieldError(field, 'no such release channel (see GET /v1/release-channels)'),
  ]);
}
