import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** One block device as sysfs and /proc describe it: plain data, so planning is pure and testable. */
export interface BlockNode {
  readonly name: string; // kernel name: sda, sda1, md127, dm-0, loop0p1
  readonly kind: 'disk' | 'part' | 'md' | 'dm' | 'other';
  /** The whole disk this partition belongs to. */
  readonly parent?: string;
  readonly holders: readonly string[];
  readonly slaves: readonly string[];
  readonly mountpoints: readonly string[];
  readonly swap: boolean;
  /** dm: "LVM-…" for logical volumes. */
  readonly dmUuid?: string;
  readonly dmName?: string;
}

export type BlockTree = ReadonlyMap<string, BlockNode>;

function list(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** major:minor → mount points, from mountinfo. */
function mountsByDev(procRoot: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of (read(join(procRoot, 'self/mountinfo')) ?? '').split('\n')) {
    const f = line.split(' ');
    if (f.length < 5) continue;
    const dev = f[2]!;
    const mp = f[4]!.replace(/\\040/g, ' ');
    out.set(dev, [...(out.get(dev) ?? []), mp]);
  }
  return out;
}

function swaps(procRoot: string): Set<string> {
  const out = new Set<string>();
  for (const line of (read(join(procRoot, 'swaps')) ?? '').split('\n').slice(1)) {
    const dev = line.split(/\s+/)[0];
    if (dev) out.add(dev.replace(/^\/dev\//, ''));
  }
  return out;
}

/** Reads every block device from /sys/class/block with its holders, slaves, mounts and swap use. */
export function readBlockTree(sysRoot = '/sys', procRoot = '/proc'): BlockTree {
  const mounts = mountsByDev(procRoot);
  const swapDevs = swaps(procRoot);
  const tree = new Map<string, BlockNode>();
  const classDir = join(sysRoot, 'class/block');
  for (const name of list(classDir)) {
    const dir = join(classDir, name);
    const isPart = existsSync(join(dir, 'partition'));
    const kind: BlockNode['kind'] = isPart ? 'part' : name.startsWith('md') ? 'md' : name.startsWith('dm-') ? 'dm' : existsSync(join(dir, 'device')) || name.startsWith('loop') ? 'disk' : 'other';
    const parent = isPart ? basename(dirname(realpathSync(dir))) : undefined;
    const devno = read(join(dir, 'dev')) ?? '';
    const dmUuid = read(join(dir, 'dm/uuid'));
    const dmName = read(join(dir, 'dm/name'));
    tree.set(name, {
      name,
      kind,
      ...(parent ? { parent } : {}),
      holders: list(join(dir, 'holders')),
      slaves: list(join(dir, 'slaves')),
      mountpoints: mounts.get(devno) ?? [],
      swap: swapDevs.has(name) || (dmName !== undefined && swapDevs.has(`mapper/${dmName}`)),
      ...(dmUuid ? { dmUuid } : {}),
      ...(dmName ? { dmName } : {}),
    });
  }
  return tree;
}
