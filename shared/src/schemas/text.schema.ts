import { z } from 'zod';
import { isInvisibleOnly, unacceptableText } from '../domain/text';

/**
 * Free text as every schema takes it (see `domain/text.ts` for what is refused
 * and why): within `max` characters, no control characters PostgreSQL or a reader
 * would choke on, well-formed Unicode. Line breaks sent as CRLF are kept as LF.
 * Normalising uses `overwrite` (not `transform`) so the same schemas describe
 * answers too: response serialisation encodes through them.
 */
export const text = (max: number) =>
  z
    .string()
    .max(max, `不能超过 ${max} 个字符 (at most ${max} characters)`)
    .superRefine((s, ctx) => {
      const reason = unacceptableText(s);
      if (reason) ctx.addIssue({ code: 'custom', message: reason });
    })
    .overwrite((s) => s.replace(/\r\n?/g, '\n'));

/** Text a person must fill in: trimmed, and something visible must remain. */
export const requiredText = (max: number) =>
  text(max)
    .overwrite((s) => s.trim())
    .superRefine((s, ctx) => {
      if (s.length === 0) ctx.addIssue({ code: 'custom', message: '不能为空 (required)' });
      else if (isInvisibleOnly(s)) ctx.addIssue({ code: 'custom', message: '不能只含空白或不可见字符 (only invisible characters)' });
    });

/** Optional free text, trimmed. */
export const optionalText = (max: number) => text(max).overwrite((s) => s.trim());

/**
 * An incident id in a path or query: a UUID in any case, answered and looked up in
 * lower case (the workflow id is `incident-<lower-case id>`).
 */
export const IncidentIdSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, '应为舆情编号 (an incident id: a UUID)')
  .overwrite((s) => s.toLowerCase());

/**
 * A point in time a caller sends (`since`, `before`, `from`, `to`, a shift's
 * start): ISO-8601 with an offset, between 2000 and 2100 — outside that it is a
 * typo, and PostgreSQL has no year 0.
 */
export const TimeInputSchema = z.iso
  .datetime({ offset: true, message: '应为带时区的 ISO-8601 时间,如 2026-11-01T00:00:00+08:00 (an ISO-8601 time with offset)' })
  .refine((s) => {
    const at = Date.parse(s);
    // Not a time at all is the format check's to say.
    if (Number.isNaN(at)) return true;
    const year = new Date(at).getUTCFullYear();
    return year >= 2000 && year <= 2100;
  }, '时间应在 2000 至 2100 年之间 (between the years 2000 and 2100)');
