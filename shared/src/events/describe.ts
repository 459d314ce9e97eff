import {
  CHANNEL_KIND_LABELS,
  DISPOSITION_LABELS,
  EVENT_LABELS,
  LEAD_LABELS,
  NOTICE_LABELS,
  RELEASE_FORM_LABELS,
  REPORT_KIND_LABELS,
  ROLE_LABELS,
  TASK_LABELS,
  TIER_LABELS,
  versionLabel,
} from '../domain/labels.zh';
import type { IncidentEvent } from './envelope';
import type { Recipient } from './event-data';

const TRUTH = { true: '属实', partly: '部分属实', false: '不属实', unknown: '尚在核实' } as const;

function who(r: Recipient, unitNames: (id: string) => string | undefined): string {
  const unit = r.unitId ? unitNames(r.unitId) : undefined;
  return unit ? `${ROLE_LABELS[r.role]}(${unit})` : ROLE_LABELS[r.role];
}

/** A duration in Chinese: `850 毫秒`, `12 秒`, `45 分钟`, `2.5 小时`. */
export function durationText(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (Math.abs(ms) < 1_000) return `${Math.round(ms)} 毫秒`;
  if (Math.abs(ms) < 60_000) return `${Math.round(ms / 1000)} 秒`;
  return minutes < 120 ? `${minutes} 分钟` : `${(minutes / 60).toFixed(1)} 小时`;
}

/**
 * One line of Chinese for an event, as the timeline, the console and the
 * notifications show it. `unitNames` turns unit ids into names where known.
 */
export function describeEvent(event: IncidentEvent, unitNames: (id: string) => string | undefined = () => undefined): string {
  const line = describeStep(event, unitNames);
  // 代办 is always said: who took the step for whom, and why (plan §8.5).
  const proxy = event.data.actor?.onBehalfOf;
  if (!proxy) return line;
  const by = event.data.actor?.unitId ? (unitNames(event.data.actor.unitId) ?? event.data.actor.unitId) : '舆情办';
  return `${line}(${by}代办:${proxy.reason})`;
}

function describeStep(event: IncidentEvent, unitNames: (id: string) => string | undefined): string {
  const unit = (id: string) => unitNames(id) ?? id;
  switch (event.type) {
    case 'received':
      return `接收舆情《${event.data.title}》(${event.data.source.outlet ?? event.data.source.platform ?? '来源'}:${event.data.source.url})`;
    case 'assessed':
      return `研判定级为${TIER_LABELS[event.tier]},${LEAD_LABELS[event.data.lead]};执行策略 ${event.data.policyVersion}`;
    case 'dispatched': {
      const units = event.data.assignments.map((a) => a.unitName).join('、');
      const roles = event.data.notify.map((r) => ROLE_LABELS[r]).join('、');
      return `${event.data.reason === 'reassigned' ? '改派' : '转办'}${TIER_LABELS[event.tier]}${units ? `至 ${units}` : ''}${roles ? `;链接同时送 ${roles}` : ''}`;
    }
    case 'acknowledged':
      return `${unit(event.data.unitId)} 已签收`;
    case 'report_submitted': {
      const r = event.data.report;
      const dispositions = r.dispositions.map((d) => DISPOSITION_LABELS[d]).join('、');
      return `${unit(event.data.unitId)} 上报${REPORT_KIND_LABELS[r.kind]}:${TRUTH[r.findings.truth]}${dispositions ? `;处置:${dispositions}` : ''}`;
    }
    case 'digest_ready':
      return `《舆情摘报》已形成${event.data.proposal ? `,拟办意见:${event.data.proposal}` : ''}`;
    case 'approval_recorded':
      return `${ROLE_LABELS[event.data.approval.role]}审批「${TASK_LABELS[event.data.taskKind]}」${event.data.complete ? '(审批完成)' : ''}`;
    case 'task_completed':
      return `完成「${TASK_LABELS[event.data.taskKind]}」${event.data.note ? `:${event.data.note.slice(0, 80)}` : ''}`;
    case 'task_added':
      return `增加事项「${TASK_LABELS[event.data.taskKind]}」${event.data.unitId ? `(${unit(event.data.unitId)})` : ''}:${event.data.reason}`;
    case 'task_returned':
      return `退回「${TASK_LABELS[event.data.taskKind]}」重办:${event.data.reason}`;
    case 'released':
      return `对外发布(${RELEASE_FORM_LABELS[event.data.form]}):${event.data.summary.slice(0, 80)}`;
    case 'tier_changed':
      return `等级由${TIER_LABELS[event.data.from]}调整为${TIER_LABELS[event.data.to]}:${event.data.reason}`;
    case 'reassigned':
      return `由 ${unit(event.data.fromUnitId)} 改派至 ${unit(event.data.toUnitId)}:${event.data.reason}${event.data.newClockReason ? `(重新计时:${event.data.newClockReason})` : '(原时限继续计算)'}`;
    case 'hand_off_requested':
      return `${unit(event.data.unitId)} 申请移交${event.data.toUnitId ? `至 ${unit(event.data.toUnitId)}` : ''}:${event.data.reason},待舆情办审核`;
    case 'hand_off_refused':
      return `舆情办不同意 ${unit(event.data.unitId)} 的移交申请:${event.data.reason}`;
    case 'talking_points_renewed':
      return `领导小组会商决定准备后续回应口径,口径须重新拟定并审定:${event.data.reason}`;
    case 'deadline_lapsed':
      return `超时:「${TASK_LABELS[event.data.taskKind]}」未在时限内完成,责任方 ${who(event.data.owner, unitNames)}`;
    case 'reminder_sent':
      return `${event.data.stage === 'before_deadline' ? '临近时限提醒' : '催办'}「${TASK_LABELS[event.data.taskKind]}」→ ${event.data.to.map((r) => who(r, unitNames)).join('、')}`;
    case 'escalated':
      return `督办升级「${TASK_LABELS[event.data.taskKind]}」(已超时 ${durationText(event.data.overdueMs)})→ ${event.data.to.map((r) => who(r, unitNames)).join('、')}`;
    case 'closed':
      return `${event.data.forced ? '强制' : ''}处置结束:${event.data.reason}`;
    case 'archived':
      return '已归档,纳入舆情应急处置档案';
    case 'surge':
      return `传播激增:每小时传播量 ${event.data.spreadPerHour},${event.data.window} 内由 ${event.data.baseline} 翻倍以上(报告 ${event.data.reportIds.slice(0, 3).join('、')}${event.data.reportIds.length > 3 ? ' 等' : ''}),请舆情办研判`;
    case 'merged':
      return `并入舆情 ${event.data.intoIncidentId}:${event.data.reason}(${event.data.reportCount} 条报告随之移入,未完成事项由其承接)`;
    case 'absorbed':
      return `合并舆情 ${event.data.fromIncidentId}(${TIER_LABELS[event.data.fromTier]}):${event.data.reason};移入 ${event.data.reportCount} 条报告${event.data.tasksDone.length ? `,其已完成:${event.data.tasksDone.map((t) => TASK_LABELS[t.kind]).join('、')}` : ''}`;
    case 'split':
      return `拆分 ${event.data.reportIds.length} 条报告为新舆情 ${event.data.newIncidentId}:${event.data.reason}`;
    case 'notified': {
      const d = event.data;
      const whom = d.to.personName ? `${d.to.personName}(${unit(d.to.unitId)})` : unit(d.to.unitId);
      if (d.forwarded) {
        // 签转 / 报送: to whom, by what channel, what was sent, and whether it arrived.
        const f = d.forwarded;
        const signoff = f.taskKind === 'digest_signoff';
        const sent = signoff
          ? NOTICE_LABELS.digest
          : f.taskKind === 'talking_points_reported'
            ? `${f.version !== undefined ? versionLabel(f.version) : ''}${NOTICE_LABELS.talkingPointsShort}`
            : NOTICE_LABELS.upwardReport;
        const head = `${signoff ? NOTICE_LABELS.signedBy : NOTICE_LABELS.report} ${whom}(${CHANNEL_KIND_LABELS[d.channel]}):${sent}`;
        return d.outcome === 'delivered'
          ? `${head},已送达${d.latencyMs !== undefined ? `(用时 ${durationText(d.latencyMs)})` : ''}`
          : `${head},未能送达(已尝试 ${d.attempts} 次${d.reason ? `,${d.reason}` : ''}),待人工重试`;
      }
      const what = `「${EVENT_LABELS[d.cause.type]}」${CHANNEL_KIND_LABELS[d.channel]}通知`;
      return d.outcome === 'delivered'
        ? `${what}已送达 ${whom}${d.latencyMs !== undefined ? `(用时 ${durationText(d.latencyMs)})` : ''}`
        : `${what}未能送达 ${whom}(已尝试 ${d.attempts} 次${d.reason ? `,${d.reason}` : ''}),待人工重试`;
    }
    default:
      return EVENT_LABELS[(event as IncidentEvent).type];
  }
}
