import { readdirSync, readFileSync, readlinkSync, existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
import { AnvilError, type InventoryT, type InventoryDiskT } from '@anvil/shared';
import type { Runner } from '../system/runner';

/** lsblk -J -b -O -p, the fields Anvil reads (lsblk prints more). */
const LsblkDevice: z.ZodType<LsblkDeviceT> = z.lazy(() =>
  z.looseObject({
    name: z.string(),
    kname: z.string().optional(),
    'maj:min': z.string().optional(),
    type: z.string(),
    size: z.union([z.number(), z.string()]).nullable(),
    'log-sec': z.number().nullable().optional(),
    'phy-sec': z.number().nullable().optional(),
    serial: z.string().nullable().optional(),
    wwn: z.string().nullable().optional(),
    vendor: z.string().nullable().optional(),
    model: z.string().nullable().optional(),
    hctl: z.string().nullable().optional(),
    rota: z.boolean().nullable().optional(),
    rm: z.boolean().nullable().optional(),
    ro: z.boolean().nullable().optional(),
    pttype: z.string().nullable().optional(),
    fstype: z.string().nullable().optional(),
    mountpoints: z.array(z.string().nullable()).optional(),
    children: z.array(LsblkDevice).optional(),
  }),
);

interface LsblkDeviceT {
  name: string;
  kname?: string | undefined;
  'maj:min'?: string | undefined;
  type: string;
  size: number | string | null;
  'log-sec'?: number | null | undefined;
  'phy-sec'?: number | null | undefined;
  serial?: string | null | undefined;
  wwn?: string | null | undefined;
  vendor?: string | null | undefined;
  model?: string | null | undefined;
  hctl?: string | null | undefined;
  rota?: boolean | null | undefined;
  rm?: boolean | null | undefined;
  ro?: boolean | null | undefined;
  pttype?: string | null | undefined;
  fstype?: string | null | undefined;
  mountpoints?: Array<string | null> | undefined;
  children?: LsblkDeviceT[] | undefined;
}

const Lsblk = z.looseObject({ blockdevices: z.array(LsblkDevice) });

export interface InventoryOptions {
  /** Include loop devices that have a backing file (tests, and images attached on purpose). */
  readonly includeLoop?: boolean;
  /** Only these devices (paths); others are ignored entirely. */
  readonly only?: readonly string[];
  readonly sysRoot?: string;
  readonly devRoot?: string;
  /** udev's database (`/run/udev/data`), for the WWN parts lsblk does not report apart. */
  readonly udevRoot?: string;
}

/**
 * The WWN as Ironic's hints know it, from udev's database record of the device (`E:ID_WWN=…` lines of
 * `/run/udev/data/b<major>:<minor>`): `wwn` (ID_WWN), `wwn_with_extension`, `wwn_vendor_extension`. lsblk's
 * WWN column is udev's ID_WWN_WITH_EXTENSION when there is one, so it cannot stand for all three.
 */
export function udevWwn(udevRoot: string, majMin: string | undefined): { wwn?: string; wwn_with_extension?: string; wwn_vendor_extension?: string } {
  if (!majMin) return {};
  let text: string;
  try {
    text = readFileSync(join(udevRoot, `b${majMin}`), 'utf8');
  } catch {
    return {};
  }
  const prop = (k: string): string | undefined => new RegExp(`^E:${k}=(.*)$`, 'm').exec(text)?.[1]?.trim() || undefined;
  const wwn = prop('ID_WWN');
  const ext = prop('ID_WWN_WITH_EXTENSION');
  const vendor = prop('ID_WWN_VENDOR_EXTENSION');
  return { ...(wwn ? { wwn } : {}), ...(ext ? { wwn_with_extension: ext } : {}), ...(vendor ? { wwn_vendor_extension: vendor } : {}) };
}

/** `/dev/disk/by-X` links that point at `device`. */
function links(devRoot: string, kind: 'by-path' | 'by-id', device: string): string[] {
  const dir = join(devRoot, 'disk', kind);
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    try {
      if (resolve(dir, readlinkSync(join(dir, entry))) === device) out.push(entry);
    } catch {
      // a dangling link is not ours
    }
  }
  return out.sort();
}

/** Devices stacked on this disk or its partitions, from sysfs holders. */
export function holdersOf(sysRoot: string, kname: string): string[] {
  const out = new Set<string>();
  const base = join(sysRoot, 'class/block', kname);
  const visit = (dir: string): void => {
    const h = join(dir, 'holders');
    if (existsSync(h)) for (const x of readdirSync(h)) out.add(x);
  };
  visit(base);
  if (existsSync(base)) {
    for (const entry of readdirSync(base)) if (entry.startsWith(kname)) visit(join(base, entry));
  }
  return [...out].sort();
}

function signatures(d: LsblkDeviceT): string[] {
  const out: string[] = [];
  if (d.pttype) out.push(`${d.pttype} partition table`);
  if (d.fstype) out.push(d.fstype);
  for (const c of d.children ?? []) if (c.fstype) out.push(`${basename(c.name)}: ${c.fstype}`);
  return out;
}

/** Reads the machine's disks: lsblk for facts, sysfs for holders, udev links for by-path/by-id. */
export async function readInventory(runner: Runner, options: InventoryOptions = {}): Promise<InventoryT> {
  const sysRoot = options.sysRoot ?? '/sys';
  const devRoot = options.devRoot ?? '/dev';
  const udevRoot = options.udevRoot ?? '/run/udev/data';
  const res = await runner.run(['lsblk', '--json', '--bytes', '--output-all', '--paths']);
  const parsed = Lsblk.safeParse(JSON.parse(res.stdout));
  if (!parsed.success) throw new AnvilError('inventory.lsblk_unreadable', `lsblk output not understood: ${parsed.error.issues[0]?.message ?? ''}`);
  const disks: InventoryDiskT[] = [];
  for (const d of parsed.data.blockdevices) {
    const isLoop = d.type === 'loop';
    if (d.type !== 'disk' && !(isLoop && options.includeLoop)) continue;
    if (options.only && !options.only.includes(d.name)) continue;
    const kname = d.kname ? basename(d.kname) : basename(d.name);
    if (isLoop && !existsSync(join(sysRoot, 'class/block', kname, 'loop/backing_file'))) continue;
    const size = d.size === null ? 0 : Number(d.size);
    if (size === 0) continue;
    const logical = d['log-sec'] ?? 512;
    const udev = udevWwn(udevRoot, d['maj:min']);
    disks.push({
      name: d.name,
      size,
      logical_sector_size: logical,
      physical_sector_size: d['phy-sec'] ?? logical,
      serial: d.serial ?? readSysfs(sysRoot, kname, 'device/serial') ?? readSysfs(sysRoot, kname, 'serial') ?? null,
      wwn: udev.wwn ?? d.wwn ?? null,
      ...(udev.wwn_with_extension || d.wwn ? { wwn_with_extension: udev.wwn_with_extension ?? d.wwn ?? null } : {}),
      ...(udev.wwn_vendor_extension ? { wwn_vendor_extension: udev.wwn_vendor_extension } : {}),
      vendor: d.vendor?.trim() ?? null,
      model: d.model?.trim() ?? null,
      hctl: d.hctl ?? null,
      by_path: links(devRoot, 'by-path', d.name),
      by_id: links(devRoot, 'by-id', d.name),
      rotational: d.rota ?? false,
      removable: d.rm ?? false,
      read_only: d.ro ?? false,
      holders: holdersOf(sysRoot, kname),
      signatures: signatures(d),
    });
  }
  return { disks };
}

function readSysfs(sysRoot: string, kname: string, rel: string): string | undefined {
  try {
    const v = readFileSync(join(sysRoot, 'class/block', kname, rel), 'utf8').trim();
    return v || undefined;
  } catch {
    return undefined;
  }
}
