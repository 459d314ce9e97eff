import { z } from 'zod';
import { DIRECTORY_GAPS, UNIT_KINDS } from '@yuqing/shared';

export const DirectoryGapsSchema = z.object({
  /** Units the directory leaves short, by unit id; empty when nothing is missing. */
  items: z.array(
    z.object({
      unitId: z.string(),
      unitName: z.string(),
      unitKind: z.enum(UNIT_KINDS),
      unitKindLabel: z.string(),
      gaps: z.array(z.object({ gap: z.enum(DIRECTORY_GAPS), label: z.string() })),
    }),
  ),
});
