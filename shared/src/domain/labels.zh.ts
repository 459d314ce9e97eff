/**
 * Chinese labels for every code, the one place screens, digests and notifications
 * take them from. The people who use this system read Chinese.
 */
import type { EventType } from '../events/event-types';
import type { Metrics } from './assessment';
import type {
  AccountabilityOutcome,
  AlertKind,
  AnswerableVia,
  ChainAction,
  ChannelKind,
  ContentField,
  DeliveryStatus,
  DeliverySubject,
  DirectoryGap,
  DirectoryGroup,
  Disposition,
  Flag,
  FourFirst,
  IncidentStatus,
  ReleaseChannelKind,
  MatchRule,
  ReleaseForm,
  ReportOutcome,
  ReportKind,
  Role,
  SummaryKind,
  TaskKind,
  TaskStatus,
  Tier,
  Topic,
  UnitKind,
} from './vocabulary';

export const TIER_LABELS: Readonly<Record<Tier, string>> = {
  general: '一般舆情',
  sensitive: '敏感舆情',
  major: '重大舆情',
  critical: '特别重大舆情',
};

export const FLAG_LABELS: Readonly<Record<Flag, string>> = {
  misreads_bureau_document: '对市局文件存在严重误解误读',
  public_vital_interest: '涉及公众切身利益且影响较大',
  livelihood: '涉及民生领域',
  moral_bottom_line: '严重冲击社会道德底线',
  city_government_requests_response: '市政府要求主动回应',
  tied_to_emergency: '涉及特别重大、重大突发事件',
};

export const TOPIC_LABELS: Readonly<Record<Topic, string>> = {
  food_safety: '食品安全',
  product_quality: '产品质量',
  pricing: '价格监管',
  consumer_rights: '消费维权',
  special_equipment: '特种设备',
  drugs_devices_cosmetics: '药品医疗器械化妆品',
  advertising: '广告监管',
  registration_licensing: '登记注册与许可',
  metrology_standards: '计量标准',
  competition_ip: '竞争执法与知识产权',
  bureau_conduct: '干部作风',
  bureau_document: '市局文件',
  other: '其他',
};

export const ROLE_LABELS: Readonly<Record<Role, string>> = {
  responsible_department: '相关处室',
  district_bureau: '区、县(市)局',
  opinion_office: '舆情办',
  office_director: '舆情办主任',
  leader_in_charge: '分管业务局领导',
  deputy_leader: '领导小组副组长',
  leader: '领导小组组长',
  leadership_group: '舆情工作领导小组',
  legal_affairs: '法规处',
  sci_tech_info: '科技信息规划处',
  city_party_committee: '市委',
  city_government: '市政府',
  provincial_bureau: '省局',
  cyberspace_office: '市委网信办',
  propaganda_department: '市委宣传部',
  public_security: '公安机关',
  local_government: '属地党委政府',
  information_officer: '舆情信息员',
};

export const TASK_LABELS: Readonly<Record<TaskKind, string>> = {
  acknowledge: '签收预警',
  tier_confirmation: '领导小组确认定级',
  progress_report: '实时报送处置进展',
  secrecy_review: '发布前保密审查',
  technical_inspection: '协调检验检测',
  public_security_referral: '移送公安机关',
  hand_off_review: '审核移交申请',
  lead_department: '属地政府明确牵头部门',
  investigation_report: '调查处置反馈',
  digest: '形成《舆情摘报》',
  digest_signoff: '办公室主任签转摘报',
  cyberspace_liaison: '与市委网信办信息对接',
  emergency_procedure: '启动应急处置程序',
  coordination_meeting: '召开紧急协调会议',
  legal_guidance: '线下处置法律指导',
  leadership_materials: '汇总向市领导汇报材料',
  report_upward: '向市委、市政府和省局汇报',
  talking_points_draft: '准备回应口径(事实)',
  talking_points_wording: '拟订回应口径',
  talking_points_approval: '审定回应口径',
  talking_points_reported: '口径报市委宣传、网信部门和省局',
  response_plan: '制定舆情回应方案',
  response_plan_approval: '舆情回应方案审定',
  public_response: '回应社会关切',
  authoritative_release: '发布权威信息',
  press_conference: '举行新闻发布会',
  follow_up_release: '持续发布权威信息',
  tracking: '舆情跟踪研判',
  review: '评估总结',
};

export const TASK_STATUS_LABELS: Readonly<Record<TaskStatus, string>> = {
  waiting: '待启动',
  open: '办理中',
  done: '已完成',
  cancelled: '已撤销',
};

export const INCIDENT_STATUS_LABELS: Readonly<Record<IncidentStatus, string>> = {
  received: '已接收',
  handling: '处置中',
  closed: '处置结束',
  archived: '已归档',
  merged: '已合并',
};

export const CONTENT_FIELD_LABELS: Readonly<Record<ContentField, string>> = {
  facts: '核实的事实情况',
  text: '正文',
  decision: '决定',
  minutes: '会议纪要',
  guidance: '指导意见',
  // Recorded by steps before they named the bodies reported to by unit (`sendTo`); kept to show those records.
  recipients: '报送对象',
  cause: '起因',
  nature: '性质',
  impact: '影响',
  responsibility: '责任',
  lessons: '经验教训',
  leadDepartment: '牵头部门',
};

export const RELEASE_FORM_LABELS: Readonly<Record<ReleaseForm, string>> = {
  press_release: '新闻通稿',
  press_conference: '新闻发布会',
  briefing: '吹风会',
  interview: '接受记者采访',
  expert_interpretation: '专家解读',
};

export const DISPOSITION_LABELS: Readonly<Record<Disposition, string>> = {
  immediate_measures: '立即采取处置措施',
  mediation: '依法调解',
  case_filing: '依法立案',
  reply: '及时反馈答复',
  refer_public_security: '会商公安机关介入',
  report_local_government: '向属地党委政府汇报',
};

export const REPORT_KIND_LABELS: Readonly<Record<ReportKind, string>> = {
  interim: '阶段性情况',
  final: '整体情况',
};

/** A unit's answer to "is the report true?" (plan §6.1; `findings.truth`). */
export const TRUTH_LABELS: Readonly<Record<'true' | 'partly' | 'false' | 'unknown', string>> = {
  true: '属实',
  partly: '部分属实',
  false: '不属实',
  unknown: '尚在核实',
};

/** The human steps as dispatch names them (`/actions/<name>`, `/tasks/<key>/<name>`), as a button says them. */
export const ACTION_LABELS: Readonly<Record<string, string>> = {
  acknowledge: '签收',
  report: '反馈调查处置情况',
  complete: '办结',
  approve: '审批',
  release: '登记对外发布',
  reclassify: '调整等级',
  reassign: '改派',
  'hand-off': '申请移交(不属本单位)',
  'refuse-hand-off': '不同意移交',
  'renew-talking-points': '会商决定准备后续口径',
  close: '结束处置',
  return: '退回',
  'add-task': '增加处置事项(检验检测、移送公安)',
  merge: '合并舆情',
  split: '拆分舆情',
};

/** The fields of those steps' bodies, as a form labels them. */
export const FORM_FIELD_LABELS: Readonly<Record<string, string>> = {
  unitId: '承办单位',
  proxy: '代办',
  reason: '理由',
  kind: '反馈类型',
  findings: '调查核实情况',
  truth: '反映问题是否属实',
  whatHappened: '事实经过',
  dutyFailure: '是否存在履职不到位',
  violation: '是否存在违法违规',
  found: '存在',
  detail: '具体情况',
  dispositions: '处置方式',
  measures: '已采取措施',
  result: '处置结果',
  attachments: '附件',
  title: '名称',
  url: '链接',
  note: '办理记录',
  proposal: '拟办意见',
  role: '审批身份',
  comment: '审批意见',
  form: '发布形式',
  summary: '发布内容',
  text: '正文',
  version: '审定的版本',
  talkingPointsVersion: '依据的口径版本',
  sendTo: '报送单位',
  channel: '发布渠道',
  tier: '调整为',
  fromUnitId: '原承办单位',
  toUnitId: '改派至',
  intoIncidentId: '并入的舆情编号',
  reportIds: '拆出的报告',
  deadline: '时限(如 24h、30m)',
  newClockReason: '重新计时理由(不填则原时限继续计算)',
  force: '强制结束(未办结事项一并撤销)',
};

export const CHAIN_ACTION_LABELS: Readonly<Record<ChainAction, string>> = {
  remind: '提醒',
  escalate: '督办升级',
};

export const EVENT_LABELS: Readonly<Record<EventType, string>> = {
  received: '接收舆情',
  assessed: '研判定级',
  dispatched: '转办预警',
  acknowledged: '签收',
  report_submitted: '上报调查处置情况',
  digest_ready: '舆情摘报形成',
  approval_recorded: '审批记录',
  task_completed: '事项完成',
  released: '对外发布',
  task_returned: '退回重办',
  task_added: '增加处置事项',
  tier_changed: '调整等级',
  reassigned: '改派',
  deadline_lapsed: '超时预警',
  reminder_sent: '催办提醒',
  escalated: '督办升级',
  closed: '处置结束',
  archived: '归档',
  notified: '消息通知',
  surge: '传播激增预警',
  merged: '并入其他舆情',
  absorbed: '合并舆情',
  split: '拆分舆情',
  hand_off_requested: '申请移交',
  hand_off_refused: '不同意移交',
  talking_points_renewed: '重新拟定后续口径',
};

/** Outcome of a report (ARCHITECTURE.md, correlation contract). */
export const REPORT_OUTCOME_LABELS: Readonly<Record<ReportOutcome, string>> = {
  opened: '新建舆情',
  joined: '归入已有舆情',
  reassessed: '归入并重新研判',
};

/** Why a report belongs to its incident. */
export const MATCH_RULE_LABELS: Readonly<Record<MatchRule, string>> = {
  opened: '首报',
  caller_id: '同一来源编号',
  event_key: '同一事件标识',
  source_url: '同一链接',
  text: '标题摘要相近',
  split: '人工拆分',
};

/** The plan's wording of each of the "four firsts" (§5). */
export const FOUR_FIRST_LABELS: Readonly<Record<FourFirst, string>> = {
  assessed: '第一时间监测、收集并研判舆情走向',
  dispatched: '第一时间上报、转办舆情动态',
  cyberspace_liaison: '第一时间沟通网信部门',
  procedure_started: '第一时间启动程序',
};

/** The words the timeline and the notices use for the same moments. */
export const ALERT_KIND_LABELS: Readonly<Record<AlertKind, string>> = {
  deadline_lapsed: '超时预警',
  reminder: '催办提醒',
  escalation: '督办升级',
};

/** Who leads the handling (plan §5): the district bureau, or the city bureau stepping in. */
export const LEAD_LABELS: Readonly<Record<'district' | 'city', string>> = {
  district: '属地局处置为主、市局指导',
  city: '市局介入处置',
};

/** What the monitoring platform measured, as a digest names it. */
export const METRIC_LABELS: Readonly<Record<keyof Metrics, string>> = {
  reportCount: '报道量(条)',
  reach: '覆盖人数',
  spreadPerHour: '传播速度(条/小时)',
  negativeRatio: '负面占比',
  importantMedia: '重要媒体报道',
};
/** The spread measures the assessment's rules name (`report_count>=major`). */
const SPREAD_RULE_METRICS: Readonly<Record<string, keyof Metrics>> = {
  report_count: 'reportCount',
  reach: 'reach',
  spread_per_hour: 'spreadPerHour',
};

/**
 * One reason of a tier (定级依据) in Chinese: the rule codes of `assessTier`
 * (`suggested_tier`, `flag:<flag>`, `important_media`, `<measure>>=<tier>`).
 */
export function assessmentReasonLabel(rule: string, tier: Tier): string {
  const floor = TIER_LABELS[tier];
  if (rule === 'suggested_tier') return `监测平台建议定为${floor}`;
  if (rule === 'important_media') return `重要媒体报道,至少为${floor}`;
  if (rule.startsWith('flag:')) return `${FLAG_LABELS[rule.slice(5) as Flag] ?? rule.slice(5)},至少为${floor}`;
  const [measure] = rule.split('>=');
  const metric = SPREAD_RULE_METRICS[measure ?? ''];
  return metric ? `${METRIC_LABELS[metric].replace(/[(（][^()（）]*[)）]$/, '')}达到${floor}标准` : rule;
}

export const UNIT_KIND_LABELS: Readonly<Record<UnitKind, string>> = {
  leadership: '领导小组',
  office: '舆情办',
  department: '处室',
  affiliated: '局属单位',
  district_bureau: '区、县(市)局',
  station: '市场监督管理所',
  outside: '外部单位',
};

export const CHANNEL_KIND_LABELS: Readonly<Record<ChannelKind, string>> = {
  webhook: 'Webhook',
  wecom: '企业微信群机器人',
  dingtalk: '钉钉群机器人',
  email: '电子邮件',
};

export const SUMMARY_KIND_LABELS: Readonly<Record<SummaryKind, string>> = {
  daily: '舆情日报',
  weekly: '舆情周报',
};

/** What a delivery not about an incident's event is about (the delivery log's 事由). */
export const DELIVERY_SUBJECT_LABELS: Readonly<Record<DeliverySubject, string>> = {
  summary_report: '舆情日报/周报',
};

export const DELIVERY_STATUS_LABELS: Readonly<Record<DeliveryStatus, string>> = {
  pending: '待发送',
  sending: '发送中',
  delivered: '已送达',
  dead: '发送失败,待人工重试',
};

export const DIRECTORY_GAP_LABELS: Readonly<Record<DirectoryGap, string>> = {
  information_officer: '未明确舆情信息员',
};

export const DIRECTORY_GROUP_LABELS: Readonly<Record<DirectoryGroup, string>> = {
  expert_pool: '舆情引导专家库',
  commentator_team: '网评员队伍',
};

export const RELEASE_CHANNEL_KIND_LABELS: Readonly<Record<ReleaseChannelKind, string>> = {
  website: '门户网站',
  weibo: '官方微博',
  wechat: '微信公众号',
  news_app: '新闻客户端',
  other: '其他渠道',
};

export const ACCOUNTABILITY_OUTCOME_LABELS: Readonly<Record<AccountabilityOutcome, string>> = {
  talk: '约谈',
  circular: '通报',
  exempt: '免责',
};

/** How the person on record came to answer for the unit. */
export const ANSWERABLE_VIA_LABELS: Readonly<Record<AnswerableVia, string>> = {
  roster: '值班表',
  standing: '常设值班',
  information_officer: '舆情信息员',
};

/** Headings and field names of the notifications sent to units and people. */
export const NOTICE_LABELS = {
  warning: '预警',
  urgentWarning: '紧急预警',
  reminder: '催办',
  advanceReminder: '临近时限提醒',
  supervision: '督办',
  lapsed: '超时预警',
  surge: '传播激增预警',
  handOffRequested: '移交申请',
  handOffRefused: '移交未获同意',
  recipient: '接收',
  owner: '责任单位',
  deadline: '截止',
  beijingTime: '北京时间',
  overdueBy: '已超时',
  source: '舆情链接',
  timeline: '处置时间线',
  unitTasks: '本单位待办',
  // 签转 (plan §5(二)) and 报送 (§5(四), §7(一)): messages that carry written work on.
  signoff: '舆情摘报签转',
  signedBy: '签转',
  digestText: '摘报正文',
  proposal: '拟办意见',
  comment: '意见',
  report: '报送',
  reportedBy: '报送单位',
  talkingPoints: '回应口径',
  approved: '已审定',
  reportText: '报告正文',
  noText: '(未找到正文,请联系报送单位)',
  digest: '《舆情摘报》',
  talkingPointsShort: '口径',
  upwardReport: '舆情情况报告',
} as const;

/** A version of written work as people say it: 第2稿. */
export function versionLabel(version: number): string {
  return `第${version}稿`;
}
