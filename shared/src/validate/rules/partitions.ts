import { resolvePartitionType } from '../../plan/aliases';
import { parseSizeHint } from '../../inventory/select';
import { parseSize, PERCENT_SCALE, formatSizeSpec } from '../../size/units';
import { GPT_MAX_PARTITIONS } from '../../layout/partitions';
import { MAX_SIZE_BYTES } from '../../plan/limits';
import type { Path } from '../../report/report';
import type { RuleContext } from './context';

interface Sized {
  readonly size: number | string;
}

/** At most one `remaining`, and percentages within 100%, in one container. */
export function checkContainerSizes(ctx: RuleContext, members: ReadonlyArray<Sized | undefined>, basePath: Path, container: string): void {
  let remaining = 0;
  let percent = 0n;
  members.forEach((m, i) => {
    if (m === undefined) return;
    const s = parseSize(m.size);
    if (s?.kind === 'remaining') {
      remaining += 1;
      if (remaining > 1) ctx.rb.add('size.multiple_remaining', [...basePath, i, 'size'], `${container} already has a member sized "remaining"`);
    }
    if (s?.kind === 'percent') percent += s.micro;
  });
  if (percent > 100n * PERCENT_SCALE) {
    ctx.rb.add('size.percent_over_100', basePath, `percentages in ${container} add up to ${formatSizeSpec({ kind: 'percent', micro: percent })}`);
  }
}

export function checkDisks(ctx: RuleContext): void {
  const { plan, rb } = ctx;
  const cdDisk = plan.configdrive?.disk;
  plan.disks.forEach((d, i) => {
    const base: Path = ['disks', i];
    const sel = d.select;
    if (Object.values(sel).every((v) => v === undefined)) {
      rb.add('schema.required', [...base, 'select'], 'a selector needs at least one hint (name, by_path, by_id, serial, wwn, vendor, model, hctl, size or rotational)');
    }
    const hint = sel.size === undefined ? undefined : parseSizeHint(sel.size);
    if (sel.size !== undefined && !hint) {
      rb.add('schema.invalid_value', [...base, 'select', 'size'], `"${String(sel.size)}" is not a size hint such as ">= 100GiB" or 480 (GiB)`);
    } else if (hint && hint.bytes > MAX_SIZE_BYTES) {
      rb.add('size.too_large', [...base, 'select', 'size'], `"${String(sel.size)}" is larger than any disk (at most ${MAX_SIZE_BYTES} bytes, 8 EiB)`);
    }
    const table = d.table ?? 'gpt';
    const parts = d.partitions ?? [];
    if (table === 'none') {
      if (parts.length > 0) rb.add('partition.table_none', [...base, 'partitions'], `disk "${d.id}" has table "none" but lists partitions`);
      return;
    }
    checkContainerSizes(ctx, parts, [...base, 'partitions'], `disk "${d.id}"`);
    const cd = cdDisk === d.id ? 1 : 0;
    if (table === 'gpt' && parts.length + cd > GPT_MAX_PARTITIONS) {
      rb.add('partition.too_many', [...base, 'partitions'], `a GPT holds ${GPT_MAX_PARTITIONS} partitions; disk "${d.id}" needs ${parts.length + cd}`);
    }
    let extended = 0;
    parts.forEach((p, j) => {
      const pp: Path = [...base, 'partitions', j];
      const isExtended = p.kind === 'extended';
      if (table === 'gpt' && isExtended) rb.add('partition.extended_on_gpt', [...pp, 'kind'], 'extended partitions exist only in msdos tables');
      if (isExtended) {
        extended += 1;
        if (extended > 1) rb.add('partition.multiple_extended', [...pp, 'kind'], 'an msdos table holds one extended partition');
        checkContainerSizes(ctx, p.logical ?? [], [...pp, 'logical'], `extended partition "${p.id}"`);
      } else if (p.logical !== undefined && p.logical.length > 0) {
        rb.add('partition.logical_outside_extended', [...pp, 'logical'], `"${p.id}" is not an extended partition, so it holds no logical partitions`);
      }
      if (table === 'msdos' && p.name !== undefined) rb.add('partition.name_on_msdos', [...pp, 'name'], 'msdos partitions have no names');
      const all: Array<[typeof p, Path]> = [[p, pp], ...(p.logical ?? []).map((l, k): [typeof p, Path] => [l, [...pp, 'logical', k]])];
      for (const [q, qp] of all) {
        if (q === p && isExtended) continue;
        const t = resolvePartitionType(table, q.type, q.mbr_type);
        if (!t.ok) rb.add('partition.type_mismatch', [...qp, q.type !== undefined ? 'type' : 'mbr_type'], t.reason);
        if (table === 'msdos' && (q.flags ?? []).includes('bios_grub')) rb.add('partition.type_mismatch', [...qp, 'flags'], 'bios_grub exists only in GPT tables');
      }
    });
    if (table === 'msdos') {
      const primaries = parts.length + cd;
      if (primaries > 4) {
        const code = cd && parts.length <= 4 ? 'configdrive.mbr_no_slot' : 'partition.too_many_primary';
        rb.add(code, code === 'configdrive.mbr_no_slot' ? ['configdrive', 'disk'] : [...base, 'partitions'], `an msdos table holds 4 primary partitions (the extended one${cd ? ' and the config drive' : ''} included); disk "${d.id}" needs ${primaries}`);
      }
    }
  });
}
