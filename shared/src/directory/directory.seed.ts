import { DISTRICTS, DISTRICT_CODES, PERSONAL_ROLES, type Role, type Topic, type UnitKind } from '../domain/vocabulary';

/**
 * The bureau's organisation (plan §2) as seed data: units, and the routing rules
 * that pick them. Loaded by migrations; edited afterwards through dispatch's API.
 */

export interface SeedUnit {
  readonly id: string;
  readonly kind: UnitKind;
  readonly name: string;
  readonly parentId?: string;
  readonly districtCode?: string;
}

export const CITY_BUREAU_UNITS: readonly SeedUnit[] = [
  { id: 'leadership-group', kind: 'leadership', name: '重大舆情应急处置工作领导小组' },
  { id: 'opinion-office', kind: 'office', name: '舆情管理办公室(市局办公室)', parentId: 'leadership-group' },
  { id: 'dept-food-safety', kind: 'department', name: '食品经营安全监督管理处' },
  { id: 'dept-product-quality', kind: 'department', name: '产品质量安全监督管理处' },
  { id: 'dept-pricing', kind: 'department', name: '价格监督检查和反不正当竞争处' },
  { id: 'dept-consumer', kind: 'department', name: '消费者权益保护处' },
  { id: 'dept-special-equipment', kind: 'department', name: '特种设备安全监察处' },
  { id: 'dept-drugs', kind: 'department', name: '药品医疗器械化妆品监督管理处' },
  { id: 'dept-advertising', kind: 'department', name: '广告监督管理处' },
  { id: 'dept-registration', kind: 'department', name: '登记注册处' },
  { id: 'dept-metrology', kind: 'department', name: '计量与标准化处' },
  { id: 'dept-competition', kind: 'department', name: '知识产权与竞争执法处' },
  { id: 'dept-discipline', kind: 'department', name: '机关党委(机关纪委)' },
  { id: 'dept-legal', kind: 'department', name: '法规处' },
  { id: 'dept-sci-tech', kind: 'department', name: '科技信息规划处' },
  { id: 'unit-inspection', kind: 'affiliated', name: '市产品质量检验检测中心' },
  { id: 'unit-enforcement', kind: 'affiliated', name: '市场监管综合行政执法支队' },
];

export const DISTRICT_UNITS: readonly SeedUnit[] = DISTRICT_CODES.map((code) => ({
  id: `district-${code}`,
  kind: 'district_bureau' as const,
  name: `${DISTRICTS[code]}市场监督管理局`,
  districtCode: code,
}));

export const OUTSIDE_UNITS: readonly SeedUnit[] = [
  { id: 'ext-city-party-committee', kind: 'outside', name: '中共哈尔滨市委' },
  { id: 'ext-city-government', kind: 'outside', name: '哈尔滨市人民政府' },
  { id: 'ext-provincial-bureau', kind: 'outside', name: '黑龙江省市场监督管理局' },
  { id: 'ext-cyberspace-office', kind: 'outside', name: '市委网信办' },
  { id: 'ext-propaganda', kind: 'outside', name: '市委宣传部' },
  { id: 'ext-public-security', kind: 'outside', name: '市公安局' },
];

/** Topic → the department first responsible for that line of business (plan §2.3). */
export const TOPIC_ROUTES: Readonly<Record<Topic, string>> = {
  food_safety: 'dept-food-safety',
  product_quality: 'dept-product-quality',
  pricing: 'dept-pricing',
  consumer_rights: 'dept-consumer',
  special_equipment: 'dept-special-equipment',
  drugs_devices_cosmetics: 'dept-drugs',
  advertising: 'dept-advertising',
  registration_licensing: 'dept-registration',
  metrology_standards: 'dept-metrology',
  competition_ip: 'dept-competition',
  bureau_conduct: 'dept-discipline',
  bureau_document: 'dept-legal',
  other: 'opinion-office',
};

/** Role → the unit that holds it. Assignee roles are routed by topic and district instead. */
export const ROLE_ROUTES: Readonly<Partial<Record<Role, string>>> = {
  opinion_office: 'opinion-office',
  office_director: 'opinion-office',
  leader_in_charge: 'leadership-group',
  deputy_leader: 'leadership-group',
  leader: 'leadership-group',
  leadership_group: 'leadership-group',
  legal_affairs: 'dept-legal',
  sci_tech_info: 'dept-sci-tech',
  city_party_committee: 'ext-city-party-committee',
  city_government: 'ext-city-government',
  provincial_bureau: 'ext-provincial-bureau',
  cyberspace_office: 'ext-cyberspace-office',
  propaganda_department: 'ext-propaganda',
  public_security: 'ext-public-security',
};

/**
 * Stations (所), the third level of the liaison network (plan §8): two generic
 * placeholders per district bureau, to be replaced by the real ones.
 */
export const STATION_UNITS: readonly SeedUnit[] = DISTRICT_CODES.flatMap((code) =>
  (['一', '二'] as const).map((ordinal, i) => ({
    id: `station-${code}-${i + 1}`,
    kind: 'station' as const,
    name: `${DISTRICTS[code]}第${ordinal}市场监督管理所(示例)`,
    parentId: `district-${code}`,
    districtCode: code,
  })),
);

export interface SeedPerson {
  readonly id: string;
  readonly unitId: string;
  readonly name: string;
  readonly title: string;
  readonly roles: readonly Role[];
  readonly contacts: Readonly<Record<string, string>>;
  readonly onDuty: boolean;
}

/**
 * One 24-hour duty placeholder per unit, with obviously fake contacts, holding the
 * roles its unit plays. Real people replace them through dispatch's API.
 */
export function dutyPlaceholders(units: readonly SeedUnit[]): SeedPerson[] {
  return units.map((unit) => {
    const routed = (Object.entries(ROLE_ROUTES) as [Role, string][])
      .filter(([role, unitId]) => unitId === unit.id && !PERSONAL_ROLES.includes(role))
      .map(([role]) => role);
    const byKind: Role[] =
      unit.kind === 'district_bureau' ? ['district_bureau'] : unit.kind === 'department' || unit.kind === 'affiliated' ? ['responsible_department'] : [];
    return {
      id: `duty-${unit.id}`,
      unitId: unit.id,
      name: `${unit.name}值班员(示例)`,
      title: '24小时值班(示例)',
      roles: [...new Set([...byKind, ...routed])],
      contacts: { email: `duty.${unit.id}@example.org`, phone: '0451-0000-0000' },
      onDuty: true,
    };
  });
}
