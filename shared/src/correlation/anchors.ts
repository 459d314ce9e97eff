import { DISTRICTS } from '../domain/vocabulary';

/**
 * Words that say *which* event a text is about, in the classes the bureau's
 * incidents turn on: where (district), what kind of place, what product, what went
 * wrong. Two reports worded alike but naming different districts, places or
 * products — 南岗区 and 香坊区, a 幼儿园 and a 小学, 乳制品 and 面包 — are about
 * different events, however similar the rest ("某超市销售过期…" is a template, not
 * an event).
 *
 * Each class is a list of families; a family's first member is its general name
 * (乳制品 for 牛奶 and 奶粉). Two members agree when they are the same, one contains
 * the other (肉 and 猪肉, 南岗 and 南岗区) or one is the general name of the other's
 * family; 牛奶 and 奶粉 do not. `veto` classes make texts that name only disagreeing
 * members different events; for `hint` classes (what went wrong: one report says
 * spoiled food, the next that children fell ill) agreement counts for, and
 * disagreement against, without deciding alone.
 *
 * Generic words (学校, 食品, 食材, 产品) are left out on purpose: they name no
 * particular place or product.
 */
export const ANCHOR_CLASSES = {
  district: {
    kind: 'veto',
    // Full names and short ones (南岗 for 南岗区). A short name that is also an everyday word (方正, 平房) may
    // rarely keep two texts apart that belong together; never the other way round.
    families: Object.values(DISTRICTS).map((name) => {
      const short = name.slice(0, -1);
      return short.length >= 2 ? [name, short] : [name];
    }),
  },
  venue: {
    kind: 'veto',
    families: [
      ['幼儿园', '托儿所'],
      ['小学'],
      ['初中', '中学'],
      ['高中'],
      ['大学', '高校'],
      ['培训机构', '培训班', '职业学校'],
      ['医院', '卫生院'],
      ['诊所'],
      ['药店', '药房'],
      ['养老院', '敬老院'],
      ['超市'],
      ['商场', '购物中心'],
      ['便利店'],
      ['菜市场', '农贸市场'],
      ['批发市场'],
      ['餐厅', '饭店', '餐馆', '酒楼'],
      ['酒店', '宾馆'],
      ['火锅店'],
      ['烧烤店'],
      ['奶茶店'],
      ['面包店', '蛋糕店', '烘焙店'],
      ['外卖'],
      ['养殖场'],
      ['屠宰场'],
      ['工厂', '加工厂', '作坊'],
      ['加油站'],
      ['景区'],
      ['游乐场'],
      ['健身房'],
      ['美容院'],
      ['理发店'],
      ['驾校'],
      ['4s店'],
      ['小区', '物业'],
      ['停车场'],
      ['直播间', '电商'],
    ],
  },
  product: {
    kind: 'veto',
    families: [
      ['乳制品', '奶制品', '牛奶', '酸奶', '奶粉'],
      ['肉', '猪肉', '牛肉', '羊肉', '鸡肉', '鸭肉', '肉制品'],
      ['海鲜', '海产品'],
      ['鱼'],
      ['蔬菜'],
      ['水果'],
      ['大米'],
      ['面粉'],
      ['食用油'],
      ['面包'],
      ['蛋糕'],
      ['月饼'],
      ['粽子'],
      ['酒类', '白酒', '啤酒', '红酒'],
      ['饮料', '奶茶', '咖啡'],
      ['矿泉水', '桶装水'],
      ['鸡蛋'],
      ['豆腐'],
      ['调味品', '酱油', '醋'],
      ['保健品'],
      ['药品', '处方药', '中药'],
      ['疫苗'],
      ['口罩'],
      ['化妆品', '染发剂', '面膜'],
      ['儿童玩具', '玩具'],
      ['服装', '童装'],
      ['电动车'],
      ['电池'],
      ['燃气', '煤气罐', '液化气'],
      ['电梯', '扶梯'],
      ['锅炉', '压力容器'],
      ['游乐设施', '索道'],
      ['手机'],
      ['家电', '空调', '热水器'],
      ['汽车', '轮胎'],
      ['黄金'],
      ['加油机'],
      ['电子秤'],
      ['门票'],
      ['学费'],
      ['停车费'],
      ['供暖费'],
      ['房租'],
    ],
  },
  hazard: {
    kind: 'hint',
    families: [
      ['变质', '发霉', '腐烂', '过期', '臭', '异物', '虫', '地沟油', '病死', '中毒', '腹泻', '呕吐', '不适', '食物中毒'],
      ['假冒', '伪劣', '掺假', '勾兑', '山寨', '以次充好', '注水', '假货', '冒充'],
      ['涨价', '上涨', '暴涨', '乱收费', '天价', '价格欺诈', '哄抬', '宰客', '高价'],
      ['缺斤短两', '短秤', '少秤', '鬼秤'],
      ['故障', '困人', '停运', '坠落', '事故', '爆炸', '泄漏', '起火', '伤人'],
      ['虚假宣传', '虚假广告', '夸大宣传'],
      ['拒绝退款', '拒退', '预付卡', '跑路', '闭店', '退费难'],
      ['吃拿卡要', '不作为', '乱罚款', '执法粗暴', '态度恶劣'],
    ],
  },
} as const satisfies Record<string, { kind: 'veto' | 'hint'; families: readonly (readonly string[])[] }>;

export type AnchorClass = keyof typeof ANCHOR_CLASSES;
export const ANCHOR_CLASS_NAMES = Object.keys(ANCHOR_CLASSES) as AnchorClass[];
export type Anchors = Readonly<Record<AnchorClass, readonly string[]>>;

/**
 * Per class, computed once: its members in one list, and the family of each member.
 * Every report's anchors are found with the first, and each comparison with the
 * other exemplars of its topic asks the second (hundreds per report in a burst).
 */
interface ClassTable {
  readonly members: readonly string[];
  readonly familyOf: ReadonlyMap<string, readonly string[]>;
  readonly veto: boolean;
}
const CLASS_TABLES = {} as Record<AnchorClass, ClassTable>;
for (const cls of ANCHOR_CLASS_NAMES) {
  const families: readonly (readonly string[])[] = ANCHOR_CLASSES[cls].families;
  const familyOf = new Map<string, readonly string[]>();
  for (const family of families) for (const m of family) familyOf.set(m, family);
  CLASS_TABLES[cls] = { members: families.flat(), familyOf, veto: ANCHOR_CLASSES[cls].kind === 'veto' };
}

/**
 * The members of each class a (normalised) text names. A member inside another
 * one found (肉 in 猪肉, 南岗 in 南岗区) is not counted on its own.
 */
export function anchorsOf(text: string): Record<AnchorClass, string[]> {
  const found = {} as Record<AnchorClass, string[]>;
  for (const cls of ANCHOR_CLASS_NAMES) {
    const hits = CLASS_TABLES[cls].members.filter((m) => text.includes(m));
    found[cls] = hits.filter((m) => !hits.some((n) => n !== m && n.includes(m)));
  }
  return found;
}

function agree(cls: AnchorClass, m: string, n: string): boolean {
  if (m === n || m.includes(n) || n.includes(m)) return true;
  const { familyOf, veto } = CLASS_TABLES[cls];
  const fm = familyOf.get(m);
  if (!fm || fm !== familyOf.get(n)) return false;
  // Hints agree within a family; the others only through the family's general name.
  return !veto || fm[0] === m || fm[0] === n;
}

export interface AnchorComparison {
  /** Classes both texts name agreeing members of. */
  readonly shared: readonly AnchorClass[];
  /** Classes both texts name members of, none agreeing. */
  readonly disagreeing: readonly { readonly anchorClass: AnchorClass; readonly a: readonly string[]; readonly b: readonly string[] }[];
}

/** Some member of `x` agrees with some member of `y` (plain loops: asked for hundreds of pairs per report). */
function anyAgree(cls: AnchorClass, x: readonly string[], y: readonly string[]): boolean {
  for (const m of x) for (const n of y) if (agree(cls, m, n)) return true;
  return false;
}

/**
 * What `compareAnchors` decides alone, without building its answer: the texts name
 * different districts, places or products, or none in common, so they are about
 * different events however alike their wording.
 */
export function differentEvents(a: Anchors, b: Anchors): boolean {
  let common = false;
  for (const cls of ANCHOR_CLASS_NAMES) {
    if (!CLASS_TABLES[cls].veto) continue;
    const x = a[cls];
    const y = b[cls];
    if (x.length === 0 || y.length === 0) continue;
    if (!anyAgree(cls, x, y)) return true;
    common = true;
  }
  return !common;
}

export function compareAnchors(a: Anchors, b: Anchors): AnchorComparison {
  const shared: AnchorClass[] = [];
  const disagreeing: { anchorClass: AnchorClass; a: readonly string[]; b: readonly string[] }[] = [];
  for (const cls of ANCHOR_CLASS_NAMES) {
    const x = a[cls];
    const y = b[cls];
    if (x.length === 0 || y.length === 0) continue;
    if (anyAgree(cls, x, y)) shared.push(cls);
    else disagreeing.push({ anchorClass: cls, a: x, b: y });
  }
  return { shared, disagreeing };
}

/**
 * The district, place and product families a text names (`venue:幼儿园`, by each
 * family's general name). Two texts that can be matched share at least one: the
 * correlator locks these, so concurrent reports of one event wait for each other
 * and reports of unrelated events do not.
 */
export function vetoFamilies(a: Anchors): string[] {
  const out = new Set<string>();
  for (const cls of ANCHOR_CLASS_NAMES) {
    const { familyOf, veto } = CLASS_TABLES[cls];
    if (!veto) continue;
    for (const m of a[cls]) {
      const family = familyOf.get(m);
      if (family) out.add(`${cls}:${family[0]}`);
    }
  }
  return [...out];
}
