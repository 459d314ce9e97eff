import { ANCHOR_CLASSES, anchorsOf, compareAnchors, differentEvents, vetoFamilies, type AnchorClass, type Anchors } from './anchors';

/**
 * Decorations that say how a post was passed on, not what happened: bracketed tags
 * (【突发】, [视频]), repost and rumour markers, hashtags' marks, picture notes. The same
 * story reposted with them is the same story.
 */
const DECORATIONS = [
  /【[^】]{0,12}】/g,
  /\[[^\]]{0,12}\]/g,
  /[（(](?:图|组图|视频|多图|附视频|转)[）)]/g,
  /https?:\/\/\S+/g,
  /@[\p{L}\p{N}_-]{1,30}/gu,
  /(?:转发|转载|转自|快讯|突发|热议|网传|网曝|曝光|爆料|网友称|网友爆料|网友反映|有网友|据网友|据悉|近日|今日|日前|刚刚|视频)[:：]?/g,
];

/** Everything that is not a letter or a digit: punctuation, symbols, emoji, spaces. */
const NOT_WORD = /[^\p{L}\p{N}]+/gu;
const CJK = /\p{Script=Han}/u;

/**
 * Text as compared: NFKC (full-width letters and digits become half-width),
 * lower case, decorations removed, punctuation and spaces removed.
 */
export function normaliseText(text: string): string {
  let s = text.normalize('NFKC').toLowerCase();
  for (const d of DECORATIONS) s = s.replace(d, ' ');
  return s.replace(NOT_WORD, ' ').trim();
}

/**
 * The features of a text: character bigrams of its Chinese runs (robust where word
 * segmentation is not: names of places, shops and products are split by any
 * dictionary that does not know them) and whole Latin or numeric tokens.
 */
export function grams(normalised: string): Set<string> {
  const out = new Set<string>();
  for (const token of normalised.split(' ')) {
    if (!token) continue;
    let run = '';
    const flush = () => {
      if (run.length === 1) out.add(run);
      for (let i = 0; i + 1 < run.length; i++) out.add(run.slice(i, i + 2));
      run = '';
    };
    let latin = '';
    for (const ch of token) {
      if (CJK.test(ch)) {
        if (latin) out.add(latin);
        latin = '';
        run += ch;
      } else {
        flush();
        latin += ch;
      }
    }
    flush();
    if (latin) out.add(latin);
  }
  return out;
}

/** What a report's title and summary are compared by; computed once per text. */
export interface TextFeatures {
  readonly title: ReadonlySet<string>;
  readonly full: ReadonlySet<string>;
  readonly anchors: Anchors;
}

/**
 * The features of a report's title and summary; `district` (the name of the district
 * the caller gave) counts as named by the text: a report of 南岗区 whose title only
 * says "某幼儿园" is still about 南岗区.
 */
export function textFeatures(title: string, summary?: string | null, district?: string | null): TextFeatures {
  const t = normaliseText(title);
  const s = summary ? normaliseText(summary) : '';
  const titleGrams = grams(t);
  return { title: titleGrams, full: s ? new Set([...titleGrams, ...grams(s)]) : titleGrams, anchors: anchorsOf(`${t} ${s} ${district ?? ''}`) };
}

/** Sørensen–Dice coefficient of two sets: 2|A∩B| / (|A|+|B|). */
export function dice(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let shared = 0;
  for (const g of small) if (large.has(g)) shared++;
  return (2 * shared) / (a.size + b.size);
}

export interface TextComparison {
  /** 0…1; 0 when the texts name different districts, places or products. */
  readonly score: number;
  /** The wording alone: the better Dice coefficient of the titles' and the whole texts' bigrams. */
  readonly lexical: number;
  /** Anchor classes (district, venue, product, hazard) both name alike. */
  readonly shared: readonly AnchorClass[];
  /** Why the score is 0 although the wording may be close: the class and what each side names. */
  readonly conflict?: { readonly anchorClass: AnchorClass; readonly a: readonly string[]; readonly b: readonly string[] };
}

/** How much of the remaining distance each anchor class both texts name alike closes. */
const SHARED_ANCHOR_WEIGHT = 0.2;

/** What a disagreement in a hint class (one says spoiled food, the other overcharging) leaves of the score. */
const HINT_DISAGREEMENT = 0.5;

/**
 * How close two reports' texts are, for Chinese: the better of the titles' and
 * the whole texts' bigram Dice coefficient; each anchor class both name alike (the
 * same district, the same kind of place, product or harm) closes a fifth of the
 * remaining distance, since rewordings of one event keep those and change the rest;
 * naming no district, place or product in common makes it 0 (generic words are said
 * of every event); a disagreement on what went wrong halves it; naming different
 * districts, places or products makes it 0 (one template told of two events).
 */
export function compareTexts(a: TextFeatures, b: TextFeatures): TextComparison {
  const lexical = lexicalOf(a, b);
  const { shared, disagreeing } = compareAnchors(a.anchors, b.anchors);
  const veto = disagreeing.find((d) => ANCHOR_CLASSES[d.anchorClass].kind === 'veto');
  if (veto) return { score: 0, lexical, shared, conflict: veto };
  // Nothing concrete in common (no district, place or product both name): words alone — "官方通报了",
  // "这家店还能去吗" — are said of every event. This is also what lets concurrent reports lock only their anchors.
  if (!shared.some((cls) => ANCHOR_CLASSES[cls].kind === 'veto')) return { score: 0, lexical, shared };
  let score = 1 - (1 - lexical) * Math.pow(1 - SHARED_ANCHOR_WEIGHT, shared.length);
  if (disagreeing.length > 0) score *= HINT_DISAGREEMENT;
  return { score: Math.round(score * 1000) / 1000, lexical, shared };
}

/**
 * `compareTexts`, or undefined when the score is below `threshold`. The anchors are
 * compared first: they decide most pairs alone (another district, place or product),
 * and the wording is then never compared. A report is compared with every wording of
 * its topic, hundreds in a burst.
 */
export function compareTextsAtLeast(a: TextFeatures, b: TextFeatures, threshold: number): TextComparison | undefined {
  if (threshold > 0 && differentEvents(a.anchors, b.anchors)) return undefined;
  const c = compareTexts(a, b);
  return c.score >= threshold ? c : undefined;
}

/** The better Dice coefficient of the titles' and the whole texts' bigrams (once when neither has a summary). */
function lexicalOf(a: TextFeatures, b: TextFeatures): number {
  const title = dice(a.title, b.title);
  const full = a.full === a.title && b.full === b.title ? title : dice(a.full, b.full);
  return Math.round(Math.max(title, full) * 1000) / 1000;
}

/** Whether a text can be matched by at all: it names a district, a kind of place or a product. */
export function isInformative(t: TextFeatures): boolean {
  return vetoFamilies(t.anchors).length > 0;
}
