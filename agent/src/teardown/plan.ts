import { AnvilError } from '@anvil/shared';
import type { BlockNode, BlockTree } from './tree';

/** One step of a teardown, in the order it must run. */
export type TeardownStep =
  | { op: 'umount'; device: string; mountpoint: string }
  | { op: 'swapoff'; device: string }
  | { op: 'lvm-deactivate'; device: string; dmName: string }
  | { op: 'dm-remove'; device: string; dmName: string }
  | { op: 'md-stop'; device: string }
  | { op: 'md-zero'; device: string }
  | { op: 'wipe-signatures'; device: string };

/** Disks (kernel names) and their partitions: what belongs to a named disk. */
function partitionsOf(tree: BlockTree, disk: string): BlockNode[] {
  return [...tree.values()].filter((n) => n.kind === 'part' && n.parent === disk);
}

/** The whole disks a device sits on, through slaves. */
export function baseDisks(tree: BlockTree, name: string, seen = new Set<string>()): Set<string> {
  const out = new Set<string>();
  if (seen.has(name)) return out;
  seen.add(name);
  const n = tree.get(name);
  if (!n) return out;
  if (n.kind === 'disk') out.add(n.name);
  else if (n.kind === 'part' && n.parent) out.add(n.parent);
  for (const s of n.slaves) baseDisks(tree, s, seen).forEach((d) => out.add(d));
  return out;
}

/**
 * Plans the teardown of everything stacked on the `roots` disks (curtin's observe → plan order): the
 * deepest holders first; for each device unmount, swapoff, then stop it (LV, dm, md), then erase the
 * member metadata below it, then the signatures of the disks' partitions. Refuses when a holder also
 * sits on a disk outside `namedDisks` (all the disks the plan takes): that disk's data would be damaged.
 */
export function planTeardown(tree: BlockTree, roots: readonly string[], namedDisks: readonly string[] = roots): TeardownStep[] {
  const named = new Set([...namedDisks, ...roots]);
  for (const d of named) if (!tree.has(d)) throw new AnvilError('teardown.unknown_disk', `no block device "${d}"`);
  const stack: string[] = [];
  const seen = new Set<string>();
  // Depth-first over holders, recording post-order: holders before what they hold.
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const n = tree.get(name);
    if (!n) return;
    for (const h of n.holders) visit(h);
    stack.push(name);
  };
  for (const d of roots) {
    for (const p of partitionsOf(tree, d)) visit(p.name);
    visit(d);
  }
  for (const name of stack) {
    const n = tree.get(name)!;
    if (n.kind !== 'md' && n.kind !== 'dm') continue;
    const outside = [...baseDisks(tree, name)].filter((d) => !named.has(d));
    if (outside.length) {
      throw new AnvilError(
        'teardown.foreign_holder',
        `/dev/${name} is built on ${outside.map((d) => `/dev/${d}`).join(', ')}, which the plan does not name; stop it by hand or name those disks`,
        { holder: name, disks: outside },
      );
    }
  }
  const steps: TeardownStep[] = [];
  for (const name of stack) {
    const n = tree.get(name)!;
    const device = n.kind === 'dm' && n.dmName ? `/dev/mapper/${n.dmName}` : `/dev/${name}`;
    for (const mp of [...n.mountpoints].sort((a, b) => b.length - a.length)) steps.push({ op: 'umount', device, mountpoint: mp });
    if (n.swap) steps.push({ op: 'swapoff', device });
    if (n.kind === 'dm') {
      if (n.dmUuid?.startsWith('LVM-')) steps.push({ op: 'lvm-deactivate', device, dmName: n.dmName ?? name });
      else steps.push({ op: 'dm-remove', device, dmName: n.dmName ?? name });
    }
    if (n.kind === 'md') {
      steps.push({ op: 'md-stop', device });
      for (const s of n.slaves) steps.push({ op: 'md-zero', device: `/dev/${s}` });
    }
  }
  // Every partition and disk: erase signatures (filesystems, LVM PV labels, md superblocks, tables).
  for (const name of stack) {
    const n = tree.get(name)!;
    if (n.kind === 'part') steps.push({ op: 'wipe-signatures', device: `/dev/${name}` });
  }
  return steps;
}

export function formatTree(tree: BlockTree, roots: readonly string[]): string {
  const lines: string[] = [];
  const draw = (name: string, depth: number): void => {
    const n = tree.get(name);
    if (!n) return;
    const extra = [n.mountpoints.length ? `mounted ${n.mountpoints.join(',')}` : '', n.swap ? 'swap' : '', n.dmName ? `dm ${n.dmName}` : ''].filter(Boolean).join(' ');
    lines.push(`${'  '.repeat(depth)}${name} (${n.kind})${extra ? ' ' + extra : ''}`);
    for (const h of n.holders) draw(h, depth + 1);
  };
  for (const r of roots) {
    draw(r, 0);
    for (const p of [...tree.values()].filter((x) => x.kind === 'part' && x.parent === r)) draw(p.name, 1);
  }
  return lines.join('\n');
}
