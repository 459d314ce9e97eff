import { OUTSIDE_REPORT_TASK_KINDS, TASK_KINDS, TASK_LABELS, releaseChannelExists, type Db, type TaskKind } from '@yuqing/shared';
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

/** The kind of an incident's task: as dispatch's read model has it, else from its key (`digest`, `acknowledge:<unit>`). */
export async function taskKindOf(db: Db, incidentId: string, key: string): Promise<TaskKind | undefined> {
  const row = await db.selectFrom('tasks').select('kind').where('incidentId', '=', incidentId).where('key', '=', key).executeTakeFirst();
  return row?.kind ?? TASK_KINDS.find((k) => key === k || key.startsWith(`${k}:`));
}

/**
 * 报送 (plan §5(四), §7(一)): a step that reports to outside bodies names them in
 * `sendTo`, at least one, each a directory unit of kind `outside`; no other step
 * names any. Refused with 422 naming the field, before the workflow sees it.
 */
export async function requireOutsideBodies(
  db: Db,
  kind: TaskKind | undefined,
  body: { readonly sendTo?: readonly string[] | undefined; readonly content?: Readonly<Record<string, unknown>> | undefined },
): Promise<void> {
  const reports = kind !== undefined && OUTSIDE_REPORT_TASK_KINDS.includes(kind);
  if (body.content?.recipients !== undefined) {
    throw problems.invalid('报送对象请在 sendTo 中按单位选择 (content.recipients is no longer taken: name the bodies in sendTo)', [
      fieldError('body.content.recipients', 'name the outside bodies by unit id in sendTo'),
    ]);
  }
  const sendTo = body.sendTo ?? [];
  if (!reports) {
    if (sendTo.length === 0) return;
    throw problems.invalid(`${kind ? TASK_LABELS[kind] : '本事项'}不向外部单位报送 (this step reports to no outside body)`, [
      fieldError('body.sendTo', 'only talking_points_reported and report_upward report to outside bodies'),
    ]);
  }
  if (sendTo.length === 0) {
    throw problems.invalid('须选择至少一个报送单位 (name at least one outside body in sendTo)', [fieldError('body.sendTo', 'at least one outside body')]);
  }
  const found = await db
    .selectFrom('units')
    .select(['id', 'kind'])
    .where('id', 'in', [...sendTo])
    .execute();
  const bad = sendTo.flatMap((id, i) => {
    const unit = found.find((u) => u.id === id);
    if (unit?.kind === 'outside') return [];
    return [fieldError(`body.sendTo.${i}`, unit ? `${id} is not an outside body (kind ${unit.kind})` : `no such unit ${id}`)];
  });
  if (bad.length > 0) {
    throw problems.invalid(`报送单位须为目录中的外部单位(市委、市政府、省局、宣传、网信等):${bad.length} 个不符 (not outside bodies)`, bad);
  }
  if (new Set(sendTo).size !== sendTo.length) {
    throw problems.invalid('报送单位重复 (a body is named twice)', [fieldError('body.sendTo', 'each body at most once')]);
  }
}
