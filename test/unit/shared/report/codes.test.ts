import { CODES, validatePlan, type Code } from '@anvil/shared';
import { basePlan, disk, withPlan, type Json } from '../../../helpers/plans';

interface Case {
  plan?: Json;
  text?: string;
  inventory?: unknown;
  pointer?: string;
}

const GiB = 1024 ** 3;
const hint20 = { size: '== 20GiB' };
const part = (id: string, size: string | number, extra: Json = {}): Json => ({ id, size, ...extra });
const twoDisks = (a: Json, b: Json): Json => ({ version: 1, disks: [a, b] });

/** One minimal failing input per code (a warning code yields a warning). */
const CASES: Record<Exclude<Code, 'plan.internal_error'>, Case> = {
  'plan.parse_error': { text: '{"version": 1,\n  "disks": [\n}' },
  'plan.duplicate_key': { text: '{"version": 1, "version": 1, "disks": []}' },
  'plan.too_large': { text: JSON.stringify(basePlan()).padEnd(32 * 1024 * 1024 + 1, ' ') },
  'plan.too_deep': { text: `{"version": 1, "configdrive": {"source": {"meta_data": {"x": ${'['.repeat(100)}${']'.repeat(100)}}}}}`, pointer: `/configdrive/source/meta_data/x${'/0'.repeat(60)}` },
  'plan.too_many': { plan: withPlan((p) => (p.disks[0]!.partitions = Array.from({ length: 129 }, (_, i) => part(`q${i}`, '1MiB')))), pointer: '/disks/0/partitions' },
  'plan.string_too_long': { plan: withPlan((p) => ((p.disks[0]!.partitions as Json[])[0]!.type = 'x'.repeat(5000))), pointer: '/disks/0/partitions/0/type' },
  'plan.alias_limit': { text: `version: 1\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [${Array(10).fill('*a').join(', ')}]\nc: [${Array(10).fill('*b').join(', ')}]\n` },
  'plan.unsupported_version': { plan: { ...basePlan(), version: 2 }, pointer: '/version' },
  'schema.required': { plan: { version: 1 }, pointer: '/disks' },
  'schema.invalid_type': { plan: { version: 1, disks: 'sda' }, pointer: '/disks' },
  'schema.invalid_value': { plan: withPlan((p) => (p.disks[0]!.table = 'zfs')), pointer: '/disks/0/table' },
  'schema.too_small': { plan: { version: 1, disks: [] }, pointer: '/disks' },
  'schema.too_big': { plan: withPlan((p) => ((p.disks[0]!.partitions as Json[])[0]!.name = 'x'.repeat(40))), pointer: '/disks/0/partitions/0/name' },
  'schema.unknown_key': { plan: withPlan((p) => (p.disks[0]!.partitons = [])), pointer: '/disks/0/partitons' },
  'schema.invalid_id': { plan: withPlan((p) => ((p.disks[0]!.partitions as Json[])[0]!.id = '1st')), pointer: '/disks/0/partitions/0/id' },
  'size.invalid': { plan: withPlan((p) => ((p.disks[0]!.partitions as Json[])[0]!.size = '12 GiBs')), pointer: '/disks/0/partitions/0/size' },
  'size.too_large': { plan: withPlan((p) => ((p.disks[0]!.partitions as Json[])[0]!.size = '99999999999999999999999999TiB')), pointer: '/disks/0/partitions/0/size' },
  'size.remaining_not_allowed': { plan: withPlan((p) => (p.disks[0]!.alignment = 'remaining')), pointer: '/disks/0/alignment' },
  'ref.duplicate_id': { plan: withPlan((p) => ((p.disks[0]!.partitions as Json[])[1]!.id = 'p1')), pointer: '/disks/0/partitions/1/id' },
  'ref.unresolved': { plan: withPlan((p) => (p.filesystems![0]!.device = 'nope')), pointer: '/filesystems/0/device' },
  'ref.wrong_kind': {
    plan: withPlan((p) => {
      p.raids = [{ id: 'r', level: 1, members: ['f1', 'p1'] }];
    }),
    pointer: '/raids/0/members/0',
  },
  'ref.used_twice': { plan: withPlan((p) => p.filesystems!.push({ id: 'f3', device: 'p1', type: 'xfs' })), pointer: '/filesystems/2/device' },
  'ref.cycle': {
    plan: withPlan((p) => {
      (p.disks[0]!.partitions as Json[]).push(part('p3', '1GiB'), part('p4', '1GiB'));
      p.raids = [
        { id: 'ra', level: 1, members: ['rb', 'p3'] },
        { id: 'rb', level: 1, members: ['ra', 'p4'] },
      ];
    }),
  },
  'size.multiple_remaining': { plan: withPlan((p) => ((p.disks[0]!.partitions as Json[])[0]!.size = 'remaining')), pointer: '/disks/0/partitions/1/size' },
  'size.percent_over_100': {
    plan: withPlan((p) => {
      (p.disks[0]!.partitions as Json[])[0]!.size = '60%';
      (p.disks[0]!.partitions as Json[])[1]!.size = '50%';
    }),
    pointer: '/disks/0/partitions',
  },
  'size.does_not_fit': { plan: withPlan((p) => ((p.disks[0]!.partitions as Json[])[0]!.size = '30GiB')), pointer: '/disks/0/partitions/0/size' },
  'size.zero': { plan: withPlan((p) => ((p.disks[0]!.partitions as Json[])[0]!.size = 0)), pointer: '/disks/0/partitions/0/size' },
  'size.unaligned': { plan: withPlan((p) => ((p.disks[0]!.partitions as Json[])[0]!.start = '1000KiB')), pointer: '/disks/0/partitions/0/start' },
  'size.not_sector_multiple': { plan: withPlan((p) => ((p.disks[0]!.partitions as Json[])[0]!.start = 1000)), pointer: '/disks/0/partitions/0/start' },
  'partition.overlap': { plan: withPlan((p) => ((p.disks[0]!.partitions as Json[])[1]!.start = '512MiB')), pointer: '/disks/0/partitions/1/start' },
  'partition.too_many_primary': {
    plan: withPlan((p) => {
      p.disks[0]!.table = 'msdos';
      (p.disks[0]!.partitions as Json[]).unshift(part('a', '1GiB'), part('b', '1GiB'), part('c', '1GiB'));
    }),
    pointer: '/disks/0/partitions',
  },
  'partition.multiple_extended': {
    plan: withPlan((p) => {
      p.disks[0]!.table = 'msdos';
      (p.disks[0]!.partitions as Json[]).push(part('e1', '1GiB', { kind: 'extended' }), part('e2', '1GiB', { kind: 'extended' }));
    }),
    pointer: '/disks/0/partitions/3/kind',
  },
  'partition.extended_on_gpt': { plan: withPlan((p) => ((p.disks[0]!.partitions as Json[])[1]!.kind = 'extended')), pointer: '/disks/0/partitions/1/kind' },
  'partition.logical_outside_extended': { plan: withPlan((p) => ((p.disks[0]!.partitions as Json[])[1]!.logical = [part('l1', '1GiB')])), pointer: '/disks/0/partitions/1/logical' },
  'partition.table_none': { plan: withPlan((p) => (p.disks[0]!.table = 'none')), pointer: '/disks/0/partitions' },
  'partition.type_mismatch': {
    plan: withPlan((p) => {
      p.disks[0]!.table = 'msdos';
      (p.disks[0]!.partitions as Json[])[0]!.type = 'A19D880F-05FC-4D3B-A006-743F0F84911E';
    }),
    pointer: '/disks/0/partitions/0/type',
  },
  'partition.name_on_msdos': {
    plan: withPlan((p) => {
      p.disks[0]!.table = 'msdos';
      (p.disks[0]!.partitions as Json[])[0]!.name = 'boot';
    }),
    pointer: '/disks/0/partitions/0/name',
  },
  'partition.too_many': {
    plan: withPlan((p) => {
      // 128 partitions (as many as the plan may list) and the config drive's one more.
      p.disks[0]!.partitions = Array.from({ length: 128 }, (_, i) => part(`q${i}`, '1MiB'));
      p.filesystems = [];
      p.configdrive = { source: 'http://example.invalid/cd.iso', disk: 'd0' };
    }),
    pointer: '/disks/0/partitions',
  },
  'partition.mbr_space_unusable': {
    plan: withPlan((p) => {
      p.disks[0]!.table = 'msdos';
      (p.disks[0]!.select as Json).size = '== 3TiB';
    }),
    pointer: '/disks/0/table',
  },
  'raid.member_count': { plan: withPlan((p) => (p.raids = [{ id: 'r', level: 5, members: ['p1', 'p2'] }])), pointer: '/raids/0/members' },
  'raid.spares_not_allowed': {
    plan: withPlan((p) => {
      (p.disks[0]!.partitions as Json[]).unshift(part('a', '1GiB'), part('b', '1GiB'), part('c', '1GiB'));
      p.raids = [{ id: 'r', level: 0, members: ['a', 'b'], spares: ['c'] }];
    }),
    pointer: '/raids/0/spares',
  },
  'raid.chunk_ignored': {
    plan: withPlan((p) => {
      (p.disks[0]!.partitions as Json[]).unshift(part('a', '1GiB'), part('b', '1GiB'));
      p.raids = [{ id: 'r', level: 1, members: ['a', 'b'], chunk: '64KiB' }];
    }),
    pointer: '/raids/0/chunk',
  },
  'raid.chunk_invalid': {
    plan: withPlan((p) => {
      (p.disks[0]!.partitions as Json[]).unshift(part('a', '1GiB'), part('b', '1GiB'));
      p.raids = [{ id: 'r', level: 0, members: ['a', 'b'], chunk: '3KiB' }];
    }),
    pointer: '/raids/0/chunk',
  },
  'raid.metadata_limit': {
    plan: {
      ...twoDisks({ id: 'x', select: { name: 'sdx', size: '== 3TiB' }, table: 'none' }, { id: 'y', select: { name: 'sdy', size: '== 3TiB' }, table: 'none' }),
      raids: [{ id: 'r', level: 1, metadata: '0.90', members: ['x', 'y'] }],
    },
    pointer: '/raids/0/metadata',
  },
  'raid.member_size_mismatch': {
    plan: withPlan((p) => {
      (p.disks[0]!.partitions as Json[]).unshift(part('a', '1GiB'), part('b', '2GiB'));
      p.raids = [{ id: 'r', level: 1, members: ['a', 'b'] }];
    }),
    pointer: '/raids/0/members',
  },
  'raid.name_invalid': {
    plan: withPlan((p) => {
      (p.disks[0]!.partitions as Json[]).unshift(part('a', '1GiB'), part('b', '1GiB'));
      p.raids = [{ id: 'r', name: 'bad name', level: 1, members: ['a', 'b'] }];
    }),
    pointer: '/raids/0/name',
  },
  'lvm.name_invalid': { plan: withPlan((p) => (p.volume_groups = [{ id: 'vg', name: '-vg', pvs: ['p1'] }])), pointer: '/volume_groups/0/name' },
  'lvm.name_duplicate': {
    plan: withPlan((p) => {
      (p.disks[0]!.partitions as Json[]).unshift(part('a', '1GiB'), part('b', '1GiB'));
      p.volume_groups = [
        { id: 'vg1', name: 'vg', pvs: ['a'] },
        { id: 'vg2', name: 'vg', pvs: ['b'] },
      ];
    }),
    pointer: '/volume_groups/1/name',
  },
  'lvm.pool_missing': {
    plan: withPlan((p) => {
      (p.disks[0]!.partitions as Json[]).unshift(part('a', '2GiB'));
      p.volume_groups = [{ id: 'vg', name: 'vg', pvs: ['a'], logical_volumes: [{ id: 't', name: 't', size: '1GiB', type: 'thin' }] }];
    }),
    pointer: '/volume_groups/0/logical_volumes/0',
  },
  'lvm.pool_on_non_thin': {
    plan: withPlan((p) => {
      (p.disks[0]!.partitions as Json[]).unshift(part('a', '2GiB'));
      p.volume_groups = [
        { id: 'vg', name: 'vg', pvs: ['a'], logical_volumes: [{ id: 'pool', name: 'pool', size: '1GiB', type: 'thin-pool' }, { id: 'l', name: 'l', size: '100MiB', pool: 'pool' }] },
      ];
    }),
    pointer: '/volume_groups/0/logical_volumes/1/pool',
  },
  'lvm.thin_overcommit': {
    plan: withPlan((p) => {
      (p.disks[0]!.partitions as Json[]).unshift(part('a', '2GiB'));
      p.volume_groups = [
        { id: 'vg', name: 'vg', pvs: ['a'], logical_volumes: [{ id: 'pool', name: 'pool', size: '1GiB', type: 'thin-pool' }, { id: 't', name: 't', size: '5GiB', type: 'thin', pool: 'pool' }] },
      ];
    }),
    pointer: '/volume_groups/0/logical_volumes/1/size',
  },
  'lvm.extent_size_invalid': { plan: withPlan((p) => (p.volume_groups = [{ id: 'vg', name: 'vg', pvs: ['p1'], extent_size: '3MiB' }])), pointer: '/volume_groups/0/extent_size' },
  'fs.label_too_long': { plan: withPlan((p) => (p.filesystems![1]!.label = 'a-label-of-17-chr')), pointer: '/filesystems/1/label' },
  'fs.label_invalid': { plan: withPlan((p) => Object.assign(p.filesystems![0]!, { type: 'vfat', label: 'A.B' })), pointer: '/filesystems/0/label' },
  'fs.uuid_invalid': { plan: withPlan((p) => (p.filesystems![1]!.uuid = 'not-a-uuid')), pointer: '/filesystems/1/uuid' },
  'fs.too_small': {
    plan: withPlan((p) => {
      (p.disks[0]!.partitions as Json[])[0]!.size = '100MiB';
      p.filesystems![0]!.type = 'xfs';
    }),
    pointer: '/filesystems/0/device',
  },
  'fs.swap_mounted': { plan: withPlan((p) => (p.filesystems![0]!.type = 'swap')), pointer: '/filesystems/0/mount' },
  'fs.option_on_kept': {
    plan: withPlan((p) => {
      p.policy = { data: 'verify' };
      Object.assign(p.filesystems![0]!, { keep: true, label: 'boot' });
    }),
    pointer: '/filesystems/0/label',
  },
  'mount.not_absolute': { plan: withPlan((p) => ((p.filesystems![0]!.mount as Json).path = 'boot/')), pointer: '/filesystems/0/mount/path' },
  'mount.duplicate': { plan: withPlan((p) => ((p.filesystems![0]!.mount as Json).path = '/')), pointer: '/filesystems/1/mount/path' },
  'mount.no_root': { plan: withPlan((p) => ((p.filesystems![1]!.mount as Json).path = '/srv')), pointer: '/filesystems' },
  'mount.multiple_root': {
    plan: withPlan((p) => {
      (p.disks[0]!.partitions as Json[]).unshift(part('a', '1GiB'));
      p.filesystems!.push({ id: 'f3', device: 'a', type: 'ext4', mount: { path: '/' } });
    }),
  },
  'mount.on_container': { plan: withPlan((p) => (p.filesystems![0]!.device = 'd0')), pointer: '/filesystems/0/device' },
  'mount.under_kept': {
    plan: withPlan((p) => {
      p.policy = { data: 'verify' };
      p.filesystems![1]!.keep = true;
    }),
    pointer: '/filesystems/0/mount/path',
  },
  'boot.root_kept': {
    plan: withPlan((p) => {
      p.policy = { data: 'verify' };
      (p.disks[0]!.partitions as Json[]).unshift(part('bg', '1MiB', { type: 'bios_grub' }));
      p.filesystems![0]!.keep = true;
      p.filesystems![1]!.keep = true;
      p.bootloader = { firmware: 'bios', targets: ['d0'] };
    }),
    pointer: '/bootloader',
  },
  'boot.target_not_disk': { plan: withPlan((p) => (p.bootloader = { firmware: 'bios', targets: ['p1'] })), pointer: '/bootloader/targets/0' },
  'boot.bios_grub_missing': { plan: withPlan((p) => (p.bootloader = { firmware: 'bios', targets: ['d0'] })), pointer: '/bootloader/targets/0' },
  'boot.esp_missing': { plan: withPlan((p) => (p.bootloader = { firmware: 'uefi', targets: ['d0'] })), pointer: '/bootloader/firmware' },
  'boot.esp_not_mounted': {
    plan: withPlan((p) => {
      (p.disks[0]!.partitions as Json[])[0]!.type = 'esp';
      Object.assign(p.filesystems![0]!, { type: 'vfat', mount: { path: '/efi-x' } });
      p.bootloader = { firmware: 'uefi', targets: ['d0'] };
    }),
    pointer: '/filesystems/0/mount',
  },
  'boot.esp_mounted_twice': {
    plan: withPlan((p) => {
      p.disks.push(disk('d1', { partitions: [part('e1', '256MiB', { type: 'esp' })] }));
      (p.disks[0]!.partitions as Json[]).unshift(part('e0', '256MiB', { type: 'esp' }));
      p.filesystems!.push({ id: 'fe0', device: 'e0', type: 'vfat', mount: { path: '/boot/efi' } }, { id: 'fe1', device: 'e1', type: 'vfat', mount: { path: '/efi' } });
      p.bootloader = { firmware: 'uefi', targets: ['d0', 'd1'] };
    }),
    pointer: '/filesystems/3/mount',
  },
  'boot.target_without_esp': {
    plan: withPlan((p) => {
      p.disks.push(disk('d1', { partitions: [part('q1', '1GiB')] }));
      (p.disks[0]!.partitions as Json[]).unshift(part('e0', '256MiB', { type: 'esp' }));
      p.filesystems!.push({ id: 'fe0', device: 'e0', type: 'vfat', mount: { path: '/boot/efi' } });
      p.bootloader = { firmware: 'uefi', targets: ['d0', 'd1'] };
    }),
    pointer: '/bootloader/targets/1',
  },
  'boot.auto_partial': {
    plan: withPlan((p) => {
      (p.disks[0]!.partitions as Json[]).unshift(part('bg', '1MiB', { type: 'bios_grub' }));
      p.bootloader = { targets: ['d0'] };
    }),
    pointer: '/bootloader/firmware',
  },
  'boot.no_root': {
    plan: withPlan((p) => {
      (p.disks[0]!.partitions as Json[]).unshift(part('bg', '1MiB', { type: 'bios_grub' }));
      p.filesystems = [];
      p.bootloader = { firmware: 'bios', targets: ['d0'] };
    }),
    pointer: '/bootloader',
  },
  'configdrive.target_invalid': {
    plan: withPlan((p) => {
      p.disks.push(disk('d1', { table: 'none' }));
      p.configdrive = { disk: 'd1', source: { meta_data: { uuid: 'x' } } };
    }),
    pointer: '/configdrive/disk',
  },
  'configdrive.too_large': { plan: withPlan((p) => (p.configdrive = { disk: 'd0', size: '128MiB', source: { meta_data: {} } })), pointer: '/configdrive/size' },
  'configdrive.mbr_no_slot': {
    plan: withPlan((p) => {
      p.disks[0]!.table = 'msdos';
      (p.disks[0]!.partitions as Json[]).unshift(part('a', '1GiB'), part('b', '1GiB'));
      p.configdrive = { disk: 'd0', source: { meta_data: {} } };
    }),
    pointer: '/configdrive/disk',
  },
  'configdrive.invalid_encoding': { plan: withPlan((p) => (p.configdrive = { disk: 'd0', source: 'bm90IGd6aXA=' })), pointer: '/configdrive/source' },
  'image.checksum_invalid': {
    plan: withPlan((p) => (p.images = [{ id: 'i', source: { url: 'http://x/i' }, checksum: 'sha256:abc', format: 'filesystem', target: { device: 'p2' } }])),
    pointer: '/images/0/checksum',
  },
  'image.md5_not_allowed': {
    plan: withPlan((p) => (p.images = [{ id: 'i', source: { url: 'http://x/i' }, checksum: `md5:${'a'.repeat(32)}`, format: 'filesystem', target: { device: 'p2' } }])),
    pointer: '/images/0/checksum',
  },
  'image.checksum_missing': { plan: withPlan((p) => (p.images = [{ id: 'i', source: { url: 'http://x/i' }, format: 'filesystem', target: { device: 'p2' } }])), pointer: '/images/0' },
  'image.source_invalid': {
    plan: withPlan((p) => (p.images = [{ id: 'i', source: { url: 'http://x/i', file: '/i' }, checksum: `sha256:${'a'.repeat(64)}`, format: 'filesystem', target: { device: 'p2' } }])),
    pointer: '/images/0/source',
  },
  'image.target_invalid': {
    plan: withPlan((p) => (p.images = [{ id: 'i', source: { url: 'http://x/i' }, checksum: `sha256:${'a'.repeat(64)}`, format: 'raw', target: { device: 'p2' } }])),
    pointer: '/images/0/target',
  },
  'image.collides_with_partitions': {
    plan: withPlan((p) => (p.images = [{ id: 'i', source: { url: 'http://x/i' }, checksum: `sha256:${'a'.repeat(64)}`, target: { disk: 'd0' } }])),
    pointer: '/images/0/target/disk',
  },
  'image.target_kept': {
    plan: withPlan((p) => {
      p.policy = { data: 'verify' };
      p.filesystems![1]!.keep = true;
      p.images = [{ id: 'i', source: { url: 'http://x/i' }, checksum: `sha256:${'a'.repeat(64)}`, format: 'filesystem', target: { device: 'p2' } }];
    }),
    pointer: '/images/0/target/device',
  },
  'image.filesystem_missing': {
    plan: withPlan((p) => {
      (p.disks[0]!.partitions as Json[]).unshift(part('a', '1GiB'));
      p.images = [{ id: 'i', source: { url: 'http://x/i' }, checksum: `sha256:${'a'.repeat(64)}`, format: 'filesystem', target: { device: 'a' } }];
    }),
    pointer: '/images/0/target/device',
  },
  'image.duplicate_target': {
    plan: withPlan((p) => {
      const img = (id: string): Json => ({ id, source: { url: 'http://x/i' }, checksum: `sha256:${'a'.repeat(64)}`, format: 'filesystem', target: { device: 'p2' } });
      p.images = [img('i1'), img('i2')];
    }),
    pointer: '/images/1/target/device',
  },
  'policy.keep_requires_verify': { plan: withPlan((p) => (p.filesystems![0]!.keep = true)), pointer: '/filesystems/0/keep' },
  'policy.keep_conflict': {
    plan: withPlan((p) => {
      p.policy = { data: 'verify' };
      (p.disks[0]!.partitions as Json[])[0]!.keep = true;
      p.filesystems![0]!.keep = false;
    }),
    pointer: '/filesystems/0/keep',
  },
  'policy.wipe_with_verify': { plan: withPlan((p) => (p.policy = { data: 'verify', wipe: 'zero' })), pointer: '/policy/wipe' },
  'inventory.invalid': { plan: basePlan(), inventory: { disks: 'sda' } },
  'inventory.no_match': { plan: basePlan(), inventory: { disks: [{ name: '/dev/sdb', size: 20 * GiB }] }, pointer: '/disks/0/select' },
  'inventory.ambiguous': {
    plan: withPlan((p) => (p.disks[0]!.select = hint20)),
    inventory: { disks: [{ name: '/dev/sda', size: 20 * GiB }, { name: '/dev/sdb', size: 20 * GiB }] },
    pointer: '/disks/0/select',
  },
  'inventory.same_disk': {
    plan: withPlan((p) => p.disks.push({ id: 'd1', select: { size: '>= 1GiB' }, table: 'none' })),
    inventory: { disks: [{ name: '/dev/sda', size: 20 * GiB }] },
    pointer: '/disks/1/select',
  },
  'inventory.read_only': { plan: basePlan(), inventory: { disks: [{ name: '/dev/sda', size: 20 * GiB, read_only: true }] }, pointer: '/disks/0/select' },
  'inventory.removable': { plan: basePlan(), inventory: { disks: [{ name: '/dev/sda', size: 20 * GiB, removable: true }] }, pointer: '/disks/0/select' },
  'inventory.sector_size': {
    plan: withPlan((p) => (p.disks[0]!.alignment = '2KiB')),
    inventory: { disks: [{ name: '/dev/sda', size: 20 * GiB, logical_sector_size: 4096 }] },
    pointer: '/disks/0/alignment',
  },
  'inventory.alignment_physical': {
    plan: withPlan((p) => (p.disks[0]!.alignment = '2KiB')),
    inventory: { disks: [{ name: '/dev/sda', size: 20 * GiB, logical_sector_size: 512, physical_sector_size: 4096 }] },
    pointer: '/disks/0/alignment',
  },
};

describe('validation codes', () => {
  it('the base plan is valid and clean', () => {
    const r = validatePlan(basePlan());
    expect(r.report.entries).toEqual([]);
    expect(r.report.valid).toBe(true);
  });

  it('every code in the catalogue has a failing case here', () => {
    const missing = Object.keys(CODES).filter((c) => c !== 'plan.internal_error' && !(c in CASES));
    expect(missing).toEqual([]);
  });

  for (const [code, c] of Object.entries(CASES) as Array<[Code, Case]>) {
    it(`${code} is reported with its severity${c.pointer !== undefined ? ` at ${c.pointer}` : ''}`, () => {
      const input = c.text ?? c.plan;
      const r = validatePlan(input, c.inventory === undefined ? {} : { inventory: c.inventory });
      const hits = r.report.entries.filter((e) => e.code === code);
      expect(hits.length).toBeGreaterThan(0);
      expect(hits[0]!.severity).toBe(CODES[code].severity);
      if (c.pointer !== undefined) expect(hits.map((h) => h.pointer)).toContain(c.pointer);
      if (CODES[code].severity === 'error') expect(r.report.valid).toBe(false);
      expect(r.report.entries.some((e) => e.code === 'plan.internal_error')).toBe(false);
    });
  }
});
