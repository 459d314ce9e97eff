/**
 * Operators' command line: `node shared/dist/bin/admin.js <command>`.
 *   migrate                       create the database if missing, run pending migrations
 *   dev-client [key]              create the development client with every scope (not in production)
 *   create-client <id> <name> <scopes,comma,separated> [unitId]   prints the new key once
 *   revoke-client <id>
 *   rotate-secrets                reseal every channel address and secret under SECRETS_KEY (after moving the old key to SECRETS_OLD_KEYS)
 *   issue-activation <personId> [scopes,comma,separated]   prints a one-time link to set the person's password
 *                                 (opens their account; the way to the first administrator who signs in)
 */
import { sql } from 'kysely';
import { activationLink, findAccount, issueActivation, saveAccount } from '../accounts/account.repository';
import { createApiClient, isScope, SCOPES } from '../auth/api-keys';
import { recordAudit } from '../audit/audit';
import { loadConfigOrExit } from '../config/config';
import { createDb } from '../db/database';
import { ensureDatabase, migrateToLatest } from '../db/migrate';
import { resealChannelSecrets } from '../secrets/channel-secrets';
import { secretBoxFromConfig } from '../secrets/secret-box';

const OPERATOR = { id: 'system:admin-cli', kind: 'system' as const };

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  const config = loadConfigOrExit();
  if (command === 'migrate') {
    const created = await ensureDatabase(config.DATABASE_URL);
    const db = createDb({ url: config.DATABASE_URL, poolMax: 1 });
    try {
      const result = await migrateToLatest(db);
      const applied = result.results?.map((r) => r.migrationName) ?? [];
      process.stdout.write(`${created ? 'database created; ' : ''}${applied.length ? `applied: ${applied.join(', ')}` : 'migrations up to date'}\n`);
    } finally {
      await db.destroy();
    }
    return 0;
  }

  const db = createDb({ url: config.DATABASE_URL, poolMax: 1 });
  try {
    switch (command) {
      case 'dev-client': {
        if (config.NODE_ENV === 'production') {
          process.stderr.write('refused: no development client exists in production; create real clients with create-client\n');
          return 2;
        }
        const key = await createApiClient(db, { id: 'dev', name: '开发调试客户端', scopes: ['admin'], ...(args[0] ? { key: args[0] } : {}) });
        await recordAudit(db, { actor: OPERATOR, action: 'api_client.created', entity: 'api_client', entityId: 'dev', after: { scopes: ['admin'] } });
        process.stdout.write(`${key}\n`);
        return 0;
      }
      case 'create-client': {
        const [id, name, scopeList, unitId] = args;
        const requested = (scopeList ?? '').split(',').filter(Boolean);
        const scopes = requested.filter(isScope);
        const bad = requested.filter((s) => !isScope(s));
        if (!id || !name || scopes.length === 0 || bad.length) {
          process.stderr.write(
            `usage: create-client <id> <name> <scopes> [unitId]; scopes: ${SCOPES.join(', ')}${bad.length ? ` (unknown: ${bad.join(', ')})` : ''}\n`,
          );
          return 2;
        }
        const key = await createApiClient(db, { id, name, scopes, ...(unitId ? { unitId } : {}) });
        await recordAudit(db, { actor: OPERATOR, action: 'api_client.created', entity: 'api_client', entityId: id, after: { scopes, unitId } });
        process.stdout.write(`${key}\n`);
        return 0;
      }
      case 'revoke-client': {
        const [id] = args;
        if (!id) return 2;
        await sql`update api_clients set revoked_at = now() where id = ${id}`.execute(db);
        await recordAudit(db, { actor: OPERATOR, action: 'api_client.revoked', entity: 'api_client', entityId: id });
        process.stdout.write(`revoked ${id}\n`);
        return 0;
      }
      case 'rotate-secrets': {
        if (!config.SECRETS_KEY) {
          process.stderr.write('refused: set SECRETS_KEY to the new key and list the previous one in SECRETS_OLD_KEYS\n');
          return 2;
        }
        const box = secretBoxFromConfig(config);
        const outcome = await resealChannelSecrets(db, box, 'all');
        const counts = {
          keyId: box.keyId,
          sealed: outcome.sealed,
          resealed: outcome.resealed,
          current: outcome.current,
          unreadable: outcome.unreadable.length,
        };
        await recordAudit(db, { actor: OPERATOR, action: 'secrets.rotated', entity: 'notification_channels', entityId: 'secret', after: counts });
        process.stdout.write(
          `secrets under key ${box.keyId}: ${outcome.sealed} sealed from plaintext, ${outcome.resealed} resealed from old keys, ${outcome.current} already current\n`,
        );
        if (outcome.unreadable.length) {
          process.stderr.write(
            `no configured key opens an address or secret of: ${outcome.unreadable.join(', ')} (add its key to SECRETS_OLD_KEYS, or give the channel a new address and secret)\n`,
          );
          return 1;
        }
        return 0;
      }
      case 'issue-activation': {
        const [personId, scopeList] = args;
        const requested = (scopeList ?? '').split(',').filter(Boolean);
        const scopes = requested.filter(isScope);
        const bad = requested.filter((s) => !isScope(s));
        const person = personId ? await db.selectFrom('persons').select('id').where('id', '=', personId).executeTakeFirst() : undefined;
        if (!person || bad.length) {
          process.stderr.write(
            `usage: issue-activation <personId of an existing person> [scopes]; scopes: ${SCOPES.join(', ')}${bad.length ? ` (unknown: ${bad.join(', ')})` : ''}\n`,
          );
          return 2;
        }
        const link = await db.transaction().execute(async (trx) => {
          const before = await findAccount(trx, person.id);
          const granted = scopes.length ? scopes : (before?.scopes ?? ['tasks:act', 'reports:read']);
          if (!before || scopes.length) await saveAccount(trx, { personId: person.id, scopes: granted, createdBy: OPERATOR.id });
          const issued = await issueActivation(trx, { personId: person.id, ttlMs: config.ACTIVATION_TTL_MS, createdBy: OPERATOR.id });
          await recordAudit(trx, {
            actor: OPERATOR,
            action: 'account.activation_issued',
            entity: 'account',
            entityId: person.id,
            after: { activationId: issued.id, scopes: granted, expiresAt: issued.expiresAt.toISOString() },
          });
          return activationLink(config.REPORTING_PUBLIC_URL, issued.token);
        });
        process.stdout.write(`${link}\n`);
        return 0;
      }
      default:
        process.stderr.write(
          'commands: migrate | dev-client [key] | create-client <id> <name> <scopes> [unitId] | revoke-client <id> | rotate-secrets | issue-activation <personId> [scopes]\n',
        );
        return 2;
    }
  } finally {
    await db.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`admin: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
