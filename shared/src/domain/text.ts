/**
 * What text the platform accepts and how it shows it. Pure functions: used by the
 * zod schemas, by the HTTP input guard (every string of every request) and by the
 * workflow's Update validators, so text that PostgreSQL cannot store, or that hides
 * what it says, is refused before anything acts on it.
 */

/**
 * C0 control characters other than tab, line feed and carriage return, and DEL.
 * PostgreSQL refuses U+0000 in text and jsonb outright; the others are stored but
 * corrupt logs, terminals and IM messages, and no person types them.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/** Characters that render as nothing: zero-width, joiners, BOM, bidi marks and controls, soft hyphen, variation selectors. */
// eslint-disable-next-line no-misleading-character-class -- the combining and variation marks are what it removes
const INVISIBLE = /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0]/g;

/** Bidirectional embeddings, overrides and isolates: they can make text read backwards. */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

/** Why a string cannot be accepted, in Chinese with an English gloss; undefined when it can. */
export function unacceptableText(value: string): string | undefined {
  const control = CONTROL.exec(value);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return `含有不允许的控制字符 U+${code} (control character U+${code} at position ${control.index})`;
  }
  if (!value.isWellFormed()) return '含有不成对的代理字符 (not well-formed Unicode: lone surrogate)';
  return undefined;
}

/** True when nothing visible remains once invisible characters and white space are removed. */
export function isInvisibleOnly(value: string): boolean {
  return value.replace(INVISIBLE, '').trim().length === 0;
}

/** Text as shown to people: bidirectional overrides removed, so it reads as it was written. */
export function displayText(value: string): string {
  return value.replace(BIDI_CONTROLS, '');
}

/** One string that cannot be accepted, where it sits in a value (`['title']`, `['report', 'measures']`). */
export interface UnacceptableString {
  readonly path: readonly (string | number)[];
  readonly reason: string;
}

/**
 * Every unacceptable string in a parsed JSON value, keys included, with its path.
 * Stops after `limit` findings. Iterative, so a deeply nested body (which the
 * schemas refuse afterwards) cannot exhaust the stack here.
 */
export function findUnacceptableText(value: unknown, limit = 20): UnacceptableString[] {
  interface Node {
    readonly v: unknown;
    readonly key: string | number | undefined;
    readonly parent: Node | undefined;
  }
  // Paths are rebuilt from parent links only for what is found: copying them per node would be quadratic in the depth.
  const pathOf = (node: Node | undefined, last?: string): (string | number)[] => {
    const path: (string | number)[] = last === undefined ? [] : [last];
    for (let n = node; n && n.key !== undefined; n = n.parent) path.unshift(n.key);
    return path;
  };
  const found: UnacceptableString[] = [];
  const stack: Node[] = [{ v: value, key: undefined, parent: undefined }];
  while (stack.length > 0 && found.length < limit) {
    const node = stack.pop()!;
    const { v } = node;
    if (typeof v === 'string') {
      const reason = unacceptableText(v);
      if (reason) found.push({ path: pathOf(node), reason });
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], key: i, parent: node });
    } else if (v && typeof v === 'object') {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, item] = entries[i]!;
        const reason = unacceptableText(key);
        if (reason) found.push({ path: pathOf(node, key), reason: `字段名${reason}` });
        stack.push({ v: item, key, parent: node });
      }
    }
  }
  return found;
}
