import { z } from 'zod';
import { parseSize } from '../../size/units';
import { MAX_SIZE_BYTES } from '../limits';

/** Ids name every object of a plan; references between objects use them. */
export const ID_RE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

export const Id = z
  .string()
  .superRefine((v, ctx) => {
    if (!ID_RE.test(v)) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a valid id`, params: { anvil: 'schema.invalid_id' } });
    }
  })
  .describe('Unique id of this object within the plan: a letter, then letters, digits, `_`, `-`, `.` (at most 64).')
  .meta({ pattern: ID_RE.source });

export const Ref = z.string().min(1).describe('The `id` of another object of the plan.');

function sizeField(description: string, allowRelative: boolean) {
  return z
    .union([z.number().int().nonnegative(), z.string()])
    .superRefine((v, ctx) => {
      const spec = parseSize(v);
      if (!spec) {
        ctx.addIssue({ code: 'custom', message: `"${String(v)}" is not a size`, params: { anvil: 'size.invalid' } });
      } else if (spec.kind === 'bytes' && spec.bytes > MAX_SIZE_BYTES) {
        ctx.addIssue({ code: 'custom', message: `"${String(v)}" is larger than any disk (at most ${MAX_SIZE_BYTES} bytes, 8 EiB)`, params: { anvil: 'size.too_large' } });
      } else if (!allowRelative && spec.kind !== 'bytes') {
        ctx.addIssue({
          code: 'custom',
          message: `"${String(v)}" must be a fixed size here`,
          params: { anvil: 'size.remaining_not_allowed' },
        });
      }
    })
    .describe(description)
    .meta({ examples: allowRelative ? ['512MiB', '20GB', 4096, '25%', 'remaining'] : ['1MiB', 4096] });
}

export const Size = sizeField(
  'Bytes as an integer, or a string: `<n><unit>` with unit B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024); `<n>%` of the container; or `remaining` (once per container).',
  true,
);
export const FixedSize = sizeField('Bytes as an integer, or `<n><unit>` (MB, MiB, GB, GiB, …).', false);

export const Keep = z
  .boolean()
  .describe('Keep the data of this object (needs `policy.data: verify`): it is verified, never recreated or written.');

export const WipeMode = z
  .enum(['none', 'metadata', 'zero', 'discard'])
  .describe(
    '`metadata`: erase signatures and zero the first and last MiB; `zero`: write zeros over the whole disk; `discard`: blkdiscard; `none`: nothing.',
  );
