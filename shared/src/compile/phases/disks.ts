import { AnvilError } from '../../errors/anvil-error';
import { MBR_EXTENDED, resolvePartitionType, TYPE_ALIASES } from '../../plan/aliases';
import type { LogicalPartitionT, PartitionT } from '../../plan/v1/disk';
import { formatBytes, MiB } from '../../size/units';
import type { Command } from '../actions';
import type { CompileState } from '../state';
import { TOOLS } from '../tools';

const FLAG_TYPES: Readonly<Record<string, string>> = { esp: 'esp', boot: 'esp', bios_grub: 'bios_grub', raid: 'raid', lvm: 'lvm', swap: 'swap' };

function partitionTypeArgs(table: 'gpt' | 'msdos', p: PartitionT | LogicalPartitionT): { guid?: string; mbr?: number } {
  let type = p.type;
  if (type === undefined) {
    const flagType = (p.flags ?? []).filter((f) => table === 'gpt' || f !== 'boot').map((f) => FLAG_TYPES[f]).find((t) => t !== undefined);
    if (flagType !== undefined && (table === 'gpt' || TYPE_ALIASES[flagType]?.mbr !== undefined)) type = flagType;
  }
  const r = resolvePartitionType(table, type, p.mbr_type);
  if (!r.ok) throw new AnvilError('compile.invalid_type', r.reason);
  return table === 'gpt' ? { guid: r.guid! } : { mbr: r.mbr! };
}

/** Re-reading a table: partprobe, partx when partprobe fails (it refuses some devices), udev settling. */
export function rereadCommands(device: string): Command[] {
  return [
    // partx exits 1 when it finds nothing new; whether the nodes appear is checked right after.
    { argv: [TOOLS.partprobe, device], fallback: { argv: ['partx', '--update', device], okCodes: [1] } },
    { argv: [TOOLS.udevadm, 'settle', '--timeout=60'], okCodes: [1], when: { tools: [TOOLS.udevadm] } },
  ];
}

/** What a handler may run while it waits for partition nodes to appear. */
export function nodeWaitProbes(disk: string): Command[] {
  return [
    { argv: [TOOLS.udevadm, 'settle', '--timeout=5'], okCodes: [1], when: { tools: [TOOLS.udevadm] } },
    { argv: ['partx', '--update', disk], okCodes: [1] },
  ];
}

/** Teardown (its steps are read on the machine: what holds the disks now) and wipes; `clean` only. */
export function compileTeardown(s: CompileState): void {
  if (s.policy !== 'clean') return;
  const devices = s.plan.disks.map((d) => s.dev(d.id));
  s.push({
    kind: 'teardown', id: 'disks', pointer: '/disks', devices,
    summary: `tear down what is stacked on ${devices.join(', ')} (mounts, swap, LVM, MD), holders first`,
    commands: [],
    internal: 'the holders are read from /sys/class/block/*/holders on the machine and planned before anything runs (shown by provision --dry-run); only devices on these disks are stopped; nothing may remain afterwards',
  });
  s.plan.disks.forEach((d, i) => {
    const mode = d.wipe ?? s.plan.policy?.wipe ?? 'metadata';
    if (mode === 'none') return;
    const device = s.dev(d.id);
    const size = BigInt(s.resolved.get(d.id)!.size);
    const commands: Command[] =
      mode === 'metadata'
        ? [
            { argv: [TOOLS.wipefs, '--all', '--force', device] },
            { argv: [TOOLS.dd, 'if=/dev/zero', `of=${device}`, 'bs=1M', `count=${size < MiB ? size : MiB}`, 'iflag=count_bytes', 'conv=fsync,notrunc', 'status=none'] },
            ...(size > 2n * MiB
              ? [{ argv: [TOOLS.dd, 'if=/dev/zero', `of=${device}`, 'bs=1M', `seek=${size - MiB}`, `count=${MiB}`, 'oflag=seek_bytes', 'iflag=count_bytes', 'conv=fsync,notrunc', 'status=none'] }]
              : []),
          ]
        : mode === 'zero'
          ? [{ argv: [TOOLS.dd, 'if=/dev/zero', `of=${device}`, 'bs=4M', `count=${size}`, 'iflag=count_bytes', 'conv=fsync,notrunc', 'status=none'] }]
          : [{ argv: [TOOLS.blkdiscard, '--force', device] }];
    s.push({ kind: 'wipe', id: d.id, pointer: s.ptr(['disks', i, 'wipe']), device, mode, sizeBytes: size.toString(), summary: `wipe ${device} (${mode})`, commands });
  });
}

/** Partition tables (clean) or their verification (verify). */
export function compileTables(s: CompileState): void {
  s.plan.disks.forEach((d, i) => {
    const layout = s.capacity.layouts.get(d.id);
    if (!layout) return;
    const device = s.dev(d.id);
    const table = layout.table;
    if (s.policy === 'verify') {
      s.push({
        kind: 'verify_table', id: d.id, pointer: s.ptr(['disks', i]), device, table, slackSectors: Number(layout.alignSectors),
        expected: layout.partitions.filter((p) => p.role !== 'configdrive').map((p) => ({ number: p.number, startSector: p.start.toString(), endSector: p.end.toString() })),
        summary: `verify that ${device} holds the planned ${table} partitions (within alignment)`,
        probes: [{ argv: [TOOLS.sfdisk, '--json', device] }, ...nodeWaitProbes(device)],
        commands: rereadCommands(device),
        internal: 'the table read back is compared with the plan; a mismatch stops the run before anything is written',
      });
      return;
    }
    s.push({
      kind: 'create_table', id: d.id, pointer: s.ptr(['disks', i, 'table']), device, table,
      summary: `new ${table} partition table on ${device}`,
      commands: [table === 'gpt' ? { argv: [TOOLS.sgdisk, '--clear', device] } : { argv: [TOOLS.parted, '--script', device, 'mklabel', 'msdos'] }],
    });
    const partitions: string[] = [];
    for (const p of layout.partitions) {
      const pdev = s.dev(p.role === 'configdrive' ? `${d.id}@configdrive` : p.id);
      if (p.role !== 'extended') partitions.push(pdev);
      const node = s.model.nodes.get(p.id);
      const obj = node?.kind === 'partition' ? node.obj : undefined;
      const bytes = (p.end - p.start + 1n) * layout.sector;
      const commands: Command[] = [];
      let typeGuid: string | undefined;
      let mbrType: number | undefined;
      if (table === 'gpt') {
        const t = obj ? partitionTypeArgs('gpt', obj) : { guid: TYPE_ALIASES.linux!.guid };
        typeGuid = t.guid;
        const name = p.role === 'configdrive' ? 'config-2' : obj?.name;
        const argv = [TOOLS.sgdisk, `--set-alignment=${layout.alignSectors}`, `--new=${p.number}:${p.start}:${p.end}`, `--typecode=${p.number}:${t.guid}`];
        if (name !== undefined) argv.push(`--change-name=${p.number}:${name}`);
        if ((obj?.flags ?? []).includes('legacy_boot')) argv.push(`--attributes=${p.number}:set:2`);
        argv.push(device);
        commands.push({ argv });
      } else {
        const kind = p.role === 'configdrive' ? 'primary' : p.role;
        commands.push({ argv: [TOOLS.parted, '--script', '--align', 'none', device, 'unit', 's', 'mkpart', kind, `${p.start}`, `${p.end}`] });
        if (p.role === 'extended') mbrType = MBR_EXTENDED;
        else {
          mbrType = obj ? partitionTypeArgs('msdos', obj).mbr! : 0x83;
          commands.push({ argv: [TOOLS.sfdisk, '--part-type', device, String(p.number), mbrType.toString(16)] });
        }
        if ((obj?.flags ?? []).includes('boot')) commands.push({ argv: [TOOLS.parted, '--script', device, 'set', String(p.number), 'boot', 'on'] });
      }
      s.push({
        kind: 'create_partition', id: p.role === 'configdrive' ? 'configdrive' : p.id, pointer: s.ptr(p.path), disk: device, device: pdev, number: p.number, role: p.role,
        startSector: p.start.toString(), endSector: p.end.toString(), sectorSize: Number(layout.sector),
        ...(typeGuid !== undefined ? { typeGuid } : {}), ...(mbrType !== undefined ? { mbrType } : {}),
        summary: `${p.role} partition ${p.number} on ${device}: sectors ${p.start}–${p.end} (${formatBytes(bytes)})`,
        probes: [{ argv: [TOOLS.sfdisk, '--json', device] }],
        commands,
      });
    }
    s.push({
      kind: 'reread_table', id: d.id, pointer: s.ptr(['disks', i]), device, partitions,
      summary: `make the kernel see the partitions of ${device} and erase stale signatures in them`,
      probes: nodeWaitProbes(device),
      // A new partition can start where an old filesystem did: its signature would be found again.
      commands: [...rereadCommands(device), ...partitions.map((p) => ({ argv: [TOOLS.wipefs, '--all', '--force', p], after: [p] }))],
    });
  });
}
