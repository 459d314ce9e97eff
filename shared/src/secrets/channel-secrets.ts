import type { Db } from '../db/database';
import { isSealed, sealedKeyId, SecretUnreadable, type SecretBox } from './secret-box';

/** What the additional data of a channel's sealed secret is: the channel's id. */
export const channelSecretContext = (channelId: string) => `notification_channels.secret:${channelId}`;

export interface ResealOutcome {
  /** Plaintext secrets from before encryption, now sealed. */
  readonly sealed: number;
  /** Secrets under an old key, now under the current one. */
  readonly resealed: number;
  /** Already under the current key. */
  readonly current: number;
  /** Channels whose secret no configured key opens (their ids, never the secrets). */
  readonly unreadable: readonly string[];
}

/**
 * Seals every channel secret still in plaintext (`plaintext`, at dispatch's
 * start), or also reseals those under old keys with the current one (`all`,
 * `admin.js rotate-secrets`). Each row changes only if nobody changed it in
 * between, so running it twice, or in several processes at once, is harmless.
 */
export async function resealChannelSecrets(db: Db, box: SecretBox, scope: 'plaintext' | 'all'): Promise<ResealOutcome> {
  const rows = await db.selectFrom('notificationChannels').select(['id', 'secret']).where('secret', 'is not', null).orderBy('id').execute();
  let sealed = 0;
  let resealed = 0;
  let current = 0;
  const unreadable: string[] = [];
  for (const row of rows) {
    const stored = row.secret!;
    const context = channelSecretContext(row.id);
    let next: string;
    if (!isSealed(stored)) next = box.seal(stored, context);
    else if (sealedKeyId(stored) === box.keyId || scope === 'plaintext') {
      current += 1;
      continue;
    } else {
      try {
        next = box.seal(box.open(stored, context), context);
      } catch (err) {
        if (!(err instanceof SecretUnreadable)) throw err;
        unreadable.push(row.id);
        continue;
      }
    }
    const changed = await db.updateTable('notificationChannels').set({ secret: next }).where('id', '=', row.id).where('secret', '=', stored).executeTakeFirst();
    if (Number(changed.numUpdatedRows) === 0) continue;
    if (isSealed(stored)) resealed += 1;
    else sealed += 1;
  }
  return { sealed, resealed, current, unreadable };
}
