import type { Db } from '../db/database';
import { isSealed, sealedKeyId, SecretUnreadable, type SecretBox } from './secret-box';

/**
 * The columns of a channel sealed at rest: its secret (a webhook's HMAC key, a
 * DingTalk 加签 secret) and its address, which for a WeCom or DingTalk robot
 * carries the robot's own credential (`key=`, `access_token=`) and for e-mail a
 * person's mailbox.
 */
export const SEALED_CHANNEL_FIELDS = ['address', 'secret'] as const;
export type SealedChannelField = (typeof SEALED_CHANNEL_FIELDS)[number];

/** The additional data a channel's sealed field is bound to: the field and the channel's id, so a value copied elsewhere does not open. */
export const channelFieldContext = (field: SealedChannelField, channelId: string) => `notification_channels.${field}:${channelId}`;
export const channelSecretContext = (channelId: string) => channelFieldContext('secret', channelId);
export const channelAddressContext = (channelId: string) => channelFieldContext('address', channelId);

/**
 * A channel's stored field in plaintext: opened with whichever configured key
 * sealed it, or as it is when it was written before sealing (dispatch seals those
 * at start; one written by an older process during a rolling update would
 * otherwise stop its deliveries). Throws SecretUnreadable when no key opens it.
 */
export function openChannelField(box: SecretBox, field: SealedChannelField, stored: string, channelId: string): string {
  return isSealed(stored) ? box.open(stored, channelFieldContext(field, channelId)) : stored;
}

export interface ResealOutcome {
  /** Plaintext values (addresses, secrets) from before encryption, now sealed. */
  readonly sealed: number;
  /** Values under an old key, now under the current one. */
  readonly resealed: number;
  /** Already under the current key. */
  readonly current: number;
  /** Channels with a value no configured key opens (their ids, never the values). */
  readonly unreadable: readonly string[];
}

/**
 * Seals every channel address and secret still in plaintext (`plaintext`, at
 * dispatch's start), or also reseals those under old keys with the current one
 * (`all`, `admin.js rotate-secrets`). Each row changes only if nobody changed it
 * in between, so running it twice, or in several processes at once, is harmless.
 */
export async function resealChannelSecrets(db: Db, box: SecretBox, scope: 'plaintext' | 'all'): Promise<ResealOutcome> {
  const rows = await db.selectFrom('notificationChannels').select(['id', 'address', 'secret']).orderBy('id').execute();
  let sealed = 0;
  let resealed = 0;
  let current = 0;
  const unreadable: string[] = [];
  for (const row of rows) {
    const change: Partial<Record<SealedChannelField, string>> = {};
    let fromPlaintext = 0;
    for (const field of SEALED_CHANNEL_FIELDS) {
      const stored = row[field];
      if (stored === null) continue;
      const context = channelFieldContext(field, row.id);
      if (!isSealed(stored)) {
        change[field] = box.seal(stored, context);
        fromPlaintext += 1;
      } else if (sealedKeyId(stored) === box.keyId || scope === 'plaintext') current += 1;
      else {
        try {
          change[field] = box.seal(box.open(stored, context), context);
        } catch (err) {
          if (!(err instanceof SecretUnreadable)) throw err;
          if (!unreadable.includes(row.id)) unreadable.push(row.id);
        }
      }
    }
    const changing = Object.keys(change).length;
    if (changing === 0) continue;
    const changed = await db
      .updateTable('notificationChannels')
      .set(change)
      .where('id', '=', row.id)
      .where('address', '=', row.address)
      .where((eb) => (row.secret === null ? eb('secret', 'is', null) : eb('secret', '=', row.secret)))
      .executeTakeFirst();
    if (Number(changed.numUpdatedRows) === 0) continue;
    sealed += fromPlaintext;
    resealed += changing - fromPlaintext;
  }
  return { sealed, resealed, current, unreadable };
}
