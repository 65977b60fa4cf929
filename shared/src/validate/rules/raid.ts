import { parseSize, KiB } from '../../size/units';
import { MIN_MEMBERS, isStriped, type RaidLevel } from '../../layout/raid';
import type { RuleContext } from './context';

const MD_NAME_RE = /^[A-Za-z0-9_.-]{1,32}$/;

export function checkRaids(ctx: RuleContext): void {
  const { plan, rb } = ctx;
  const names = new Map<string, number>();
  (plan.raids ?? []).forEach((r, i) => {
    const level = r.level as RaidLevel;
    const name = r.name ?? r.id;
    if (!MD_NAME_RE.test(name)) rb.add('raid.name_invalid', ['raids', i, r.name !== undefined ? 'name' : 'id'], `"${name}" is not a valid array name`);
    if (names.has(name)) rb.add('ref.duplicate_id', ['raids', i, 'name'], `array name "${name}" is already used by raids/${names.get(name)}`);
    names.set(name, i);
    const min = MIN_MEMBERS[String(level)]!;
    if (r.members.length < min) rb.add('raid.member_count', ['raids', i, 'members'], `RAID ${level} needs at least ${min} members; "${r.id}" has ${r.members.length}`);
    if ((level === 0 || level === 'linear') && (r.spares ?? []).length > 0) {
      rb.add('raid.spares_not_allowed', ['raids', i, 'spares'], `RAID ${level} has no redundancy, so spares cannot rebuild anything`);
    }
    if (r.chunk !== undefined) {
      if (!isStriped(level)) rb.add('raid.chunk_ignored', ['raids', i, 'chunk'], `RAID ${level} has no chunk size`);
      const c = parseSize(r.chunk);
      if (c?.kind === 'bytes' && (c.bytes < 4n * KiB || (c.bytes & (c.bytes - 1n)) !== 0n)) {
        rb.add('raid.chunk_invalid', ['raids', i, 'chunk'], `chunk ${c.bytes} bytes is not a power of two of at least 4 KiB`);
      }
    }
    if ((r.metadata ?? '1.2') === '0.90' && r.members.length + (r.spares ?? []).length > 28) {
      rb.add('raid.metadata_limit', ['raids', i, 'members'], 'metadata 0.90 holds at most 28 devices');
    }
    const dup = new Set<string>();
    [...r.members, ...(r.spares ?? [])].forEach((m) => {
      if (dup.has(m)) rb.add('ref.used_twice', ['raids', i, 'members'], `"${m}" is listed twice in "${r.id}"`);
      dup.add(m);
    });
  });
}
