import { isDeepStrictEqual } from 'node:util';
import { compareTexts, compareTextsAtLeast, differentEvents, metricsFromSums, normaliseSourceUrl, normaliseText, sumsOfOne, textFeatures } from '../src';

const THRESHOLD = 0.55; // the policy's default textThreshold
const score = (a: string, b: string, sa?: string, sb?: string) => compareTexts(textFeatures(a, sa), textFeatures(b, sb));

describe('normaliseSourceUrl: one spelling per post', () => {
  it.each([
    ['https://weibo.com/123/Nabc', 'http://weibo.com/123/Nabc'],
    ['https://weibo.com/123/Nabc', 'https://WWW.Weibo.com/123/Nabc/'],
    ['https://weibo.com/123/Nabc', 'https://m.weibo.com/123/Nabc?from=timeline&utm_source=wechat#comments'],
    ['https://news.example.com/a?id=7&p=2', 'https://news.example.com/a?p=2&id=7&spm=a1.b2'],
    ['https://example.com:443/x', 'https://example.com/x'],
  ])('%s is %s', (a, b) => expect(normaliseSourceUrl(a)).toBe(normaliseSourceUrl(b)));

  it.each([
    ['https://weibo.com/123/Nabc', 'https://weibo.com/123/Nabd'],
    ['https://news.example.com/a?id=7', 'https://news.example.com/a?id=8'],
    ['https://example.com:8080/x', 'https://example.com/x'],
  ])('%s is not %s', (a, b) => expect(normaliseSourceUrl(a)).not.toBe(normaliseSourceUrl(b)));
});

describe('Chinese text similarity', () => {
  it('normalises width, case, decorations and punctuation', () => {
    expect(normaliseText('【转发】网传：ＡＢＣ超市！(图)')).toBe('abc超市');
    expect(normaliseText('#南岗幼儿园# @某某网友 https://t.cn/x 视频:')).toBe('南岗幼儿园');
  });

  // Rewordings and reposts of one event: the same place, kind of place, product and harm.
  it.each([
    ['网传南岗区某幼儿园食堂使用变质食材', '【转发】网传南岗区某幼儿园食堂使用变质食材!家长怒了'],
    ['网传南岗区某幼儿园食堂使用变质食材', '南岗区某幼儿园食堂被指使用变质食材'],
    ['网传南岗区某幼儿园食堂使用变质食材', '南岗区一幼儿园被曝用变质肉给孩子做饭 家长质疑'],
    ['网传南岗区某幼儿园食堂使用变质食材', '哈尔滨南岗区幼儿园变质食材事件持续发酵'],
    ['网传南岗区某幼儿园食堂使用变质食材', '#南岗幼儿园变质肉# 家长聚集讨说法'],
    ['香坊区某超市销售过期乳制品', '香坊一超市被曝卖过期牛奶 市场监管部门已介入'],
    ['香坊区某超市销售过期乳制品', '哈尔滨香坊区超市出售过期乳制品 消费者投诉'],
    ['道外区一商场电梯突然停运困住6人', '道外区商场电梯故障困人 6名顾客被困半小时'],
    ['五常市大米掺假被曝光', '五常大米掺假？网友爆料称市场上流通的五常大米存在勾兑'],
  ])('same event: %s ~ %s', (a, b) => expect(score(a, b).score).toBeGreaterThanOrEqual(THRESHOLD));

  // One template told of two events: another district, kind of place, product or harm.
  it.each([
    ['网传南岗区某幼儿园食堂使用变质食材', '网传香坊区某幼儿园食堂使用变质食材', 'district'],
    ['某超市销售过期乳制品', '某超市销售过期面包', 'product'],
    ['南岗区某幼儿园食堂使用变质食材', '南岗区某小学食堂使用变质食材', 'venue'],
    ['道外区一商场电梯突然停运困住6人', '道外区一小区电梯突然停运困住3人', 'venue'],
    ['南岗区某火锅店使用地沟油', '南岗区某烧烤店使用地沟油', 'venue'],
    ['香坊区某超市销售过期牛奶', '香坊区某超市销售过期奶粉', 'product'],
    ['松北区某超市销售注水猪肉', '松北区某超市销售注水牛肉', 'product'],
  ])('different events: %s ≠ %s (%s)', (a, b, cls) => {
    const c = score(a, b);
    expect(c.score).toBe(0);
    expect(c.conflict?.anchorClass).toBe(cls);
    // The wording alone would have joined them: that is what the anchors are for.
    expect(c.lexical).toBeGreaterThan(THRESHOLD);
  });

  it('a disagreement on what went wrong halves the score; a general name agrees with its kinds', () => {
    expect(score('网传南岗区某幼儿园食堂使用变质食材', '南岗区某幼儿园乱收费 家长质疑').score).toBeLessThan(THRESHOLD);
    expect(score('香坊区某超市销售过期乳制品', '香坊区某超市乳制品价格上涨三成').score).toBeLessThan(THRESHOLD);
    expect(score('某超市过期乳制品', '某超市过期牛奶').conflict).toBeUndefined();
    expect(score('某超市变质猪肉', '某超市变质肉').conflict).toBeUndefined();
  });

  it('generic texts, said of every event, never join by themselves', () => {
    expect(score('官方通报了', '官方通报了').score).toBe(0);
    expect(score('这家店还能去吗', '这家店还能去吗').score).toBe(0);
    // Nothing concrete in common but the harm: words alone do not make one event.
    expect(score('网传某品牌被曝使用过期原料', '网传某品牌被曝使用过期原料').score).toBe(0);
    // The district the caller gave counts as named.
    const withDistrict = compareTexts(textFeatures('某幼儿园食堂使用变质食材', null, '南岗区'), textFeatures('网传某幼儿园食堂使用变质食材', null, '香坊区'));
    expect(withDistrict.conflict?.anchorClass).toBe('district');
  });

  it('compares the summaries too, and unrelated texts score low', () => {
    const withSummary = score('家长聚集讨说法', '事件持续发酵', '南岗区某幼儿园食堂使用变质食材', '南岗区某幼儿园食堂被曝使用变质食材');
    expect(withSummary.score).toBeGreaterThanOrEqual(THRESHOLD);
    expect(score('道里区某火锅店使用地沟油', '延寿县某药店销售假冒保健品').score).toBeLessThan(0.3);
  });
});

describe('the shortcut a report takes past most wordings of its topic', () => {
  // Every mix of district, kind of place, product, harm and wording, with and without a summary and a
  // district given by the caller: thousands of pairs, among them rewordings of one event and templates of two.
  const districts = ['南岗区', '香坊', '', '五常市'];
  const venues = ['某幼儿园食堂', '一超市', '某火锅店', ''];
  const products = ['变质食材', '过期牛奶', '乳制品', '注水猪肉', '肉'];
  const wordings = ['网传{d}{v}使用{p}', '【转发】{d}{v}被曝卖{p} 家长质疑', '{v}{p}涨价三成', '官方通报了{d}'];
  const texts = districts.flatMap((d, i) =>
    venues.flatMap((v, j) =>
      products.flatMap((p, k) =>
        wordings.map((w, l) => {
          const title = w.replace('{d}', d).replace('{v}', v).replace('{p}', p);
          return (i + j + k + l) % 3 === 0 ? textFeatures(title, `${d}${v}${p}事件持续发酵`) : textFeatures(title, null, (i + k) % 4 === 0 ? '南岗区' : null);
        }),
      ),
    ),
  );

  it.each([0.3, 0.55, 0.8])('finds at threshold %s exactly what comparing every pair in full finds', (threshold) => {
    let kept = 0;
    let different = 0;
    const wrong: string[] = [];
    for (const a of texts)
      for (const b of texts) {
        const full = compareTexts(a, b);
        const short = compareTextsAtLeast(a, b, threshold);
        if (!isDeepStrictEqual(short, full.score >= threshold ? full : undefined)) wrong.push(`${[...a.title].join('')} / ${[...b.title].join('')}`);
        if (short) kept++;
        // What the anchors decide alone is a score of 0 in full.
        if (differentEvents(a.anchors, b.anchors)) {
          different++;
          if (full.score !== 0) wrong.push(`different events, scored ${full.score}`);
        }
      }
    expect(wrong).toEqual([]);
    // Both kinds of pair are there: the test compares something.
    expect(kept).toBeGreaterThan(texts.length);
    expect(different).toBeGreaterThan(texts.length * texts.length * 0.5);
  });
});

describe('an incident’s metrics from its reports’ sums', () => {
  it('counts sources, adds reach, spreads at least as fast as reports arrive, weights negativity by reach', () => {
    expect(metricsFromSums(sumsOfOne({ reach: 100, negativeRatio: 0.5 }), 3_600_000)).toEqual({
      reportCount: 1,
      reach: 100,
      spreadPerHour: 1,
      negativeRatio: 0.5,
    });
    expect(
      metricsFromSums(
        {
          sources: 3,
          reportCount: 12,
          reach: 2_000,
          spreadInWindow: 30,
          reportsInWindow: 45,
          negativeWeighted: 900,
          negativeWeight: 1_000,
          importantMedia: false,
        },
        3_600_000,
      ),
    ).toEqual({ reportCount: 12, reach: 2_000, spreadPerHour: 45, negativeRatio: 0.9, importantMedia: false });
    // A 30-minute window: 10 reports in it are 20 an hour.
    expect(metricsFromSums({ ...sumsOfOne({}), reportsInWindow: 10 }, 1_800_000).spreadPerHour).toBe(20);
  });
});
