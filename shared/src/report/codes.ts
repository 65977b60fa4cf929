/**
 * The catalogue of validation codes. Codes are stable: tests assert them, operators grep for them, and
 * docs/reference/validation-codes.md is generated from this table. Add codes; never rename or reuse one.
 */
import { MAX_SIZE_BYTES, PLAN_LIMITS, PLACE_LIMITS } from '../plan/limits';

export type Severity = 'error' | 'warning';

export interface CodeInfo {
  readonly severity: Severity;
  /** What the code means and how to fix it, for the generated reference. */
  readonly doc: string;
}

const bounds = (key: 'items' | 'chars'): string =>
  PLACE_LIMITS.filter((l) => l[key] !== undefined)
    .map((l) => `\`${l.path}\` ${l[key]!.toLocaleString('en')}${key === 'items' && l.total !== undefined ? ` (${l.total.toLocaleString('en')} in the whole plan)` : ''}`)
    .join(', ');
const LIST_BOUNDS = bounds('items');
const STRING_BOUNDS = bounds('chars');

export const CODES = {
  // Parsing and shape
  'plan.internal_error': { severity: 'error', doc: 'The validator itself failed (a bug in Anvil); the plan is treated as invalid. Please report it with the plan.' },
  'plan.parse_error': { severity: 'error', doc: 'The text is not valid JSON or YAML.' },
  'plan.duplicate_key': { severity: 'error', doc: 'A key appears twice in one object; only one value could be meant.' },
  'plan.too_large': { severity: 'error', doc: `The plan text is longer than ${PLAN_LIMITS.textChars / 1024 / 1024} MiB (characters), or holds more than ${PLAN_LIMITS.values.toLocaleString('en')} values; it is refused before it is parsed (shared/src/plan/limits.ts).` },
  'plan.too_deep': { severity: 'error', doc: `Objects and lists nest deeper than ${PLAN_LIMITS.depth} levels (a plan's own fields go 8 deep); refused before any recursive code reads it.` },
  'plan.too_many': { severity: 'error', doc: `A list (or object) holds more items than Anvil reads: ${LIST_BOUNDS}; any other list or object ${PLAN_LIMITS.items.toLocaleString('en')}.` },
  'plan.string_too_long': { severity: 'error', doc: `A string is longer than Anvil reads: ${STRING_BOUNDS}; a key ${PLAN_LIMITS.keyChars}; any other string ${PLAN_LIMITS.stringChars.toLocaleString('en')} characters.` },
  'plan.alias_limit': { severity: 'error', doc: 'YAML aliases expand beyond 100 resolved nodes (an alias bomb: a few lines that would grow into gigabytes); write the values out, or use JSON.' },
  'plan.unsupported_version': { severity: 'error', doc: 'The plan `version` is not one this Anvil reads (it reads version 1).' },
  'schema.required': { severity: 'error', doc: 'A required field is missing.' },
  'schema.invalid_type': { severity: 'error', doc: 'A field has the wrong type (for example a string where a list is expected).' },
  'schema.invalid_value': { severity: 'error', doc: 'A field has a value outside the allowed set or format.' },
  'schema.too_small': { severity: 'error', doc: 'A list or number is smaller than allowed (for example a RAID with no members).' },
  'schema.too_big': { severity: 'error', doc: 'A list, string or number is larger than allowed.' },
  'schema.unknown_key': { severity: 'warning', doc: 'A key the schema does not know; usually a typo. It is ignored.' },
  'schema.invalid_id': { severity: 'error', doc: 'An `id` must start with a letter and hold only letters, digits, `_`, `-` and `.` (at most 64).' },
  'size.invalid': { severity: 'error', doc: 'A size is not bytes, `<n><unit>` (MB, MiB, GB, GiB, TB, TiB, …), `<n>%` or `remaining`.' },
  'size.too_large': { severity: 'error', doc: `A size is larger than ${MAX_SIZE_BYTES} bytes (8 EiB, the largest offset Linux addresses); no disk is that large.` },
  'size.remaining_not_allowed': { severity: 'error', doc: '`remaining` or a percentage is used where only a fixed size makes sense.' },
  // References
  'ref.duplicate_id': { severity: 'error', doc: 'Two objects share an `id`; ids are unique across the whole plan.' },
  'ref.unresolved': { severity: 'error', doc: 'A reference names an id that no object in the plan has.' },
  'ref.wrong_kind': { severity: 'error', doc: 'A reference names an object of the wrong kind (for example a filesystem where a disk is needed).' },
  'ref.used_twice': { severity: 'error', doc: 'One device is consumed twice (a RAID member, a PV, a filesystem, or partitioned) — each device has one use.' },
  'ref.cycle': { severity: 'error', doc: 'Devices are stacked in a cycle (for example an array that contains itself).' },
  // Partitions and sizes
  'size.multiple_remaining': { severity: 'error', doc: 'More than one member of one container (disk, extended partition, volume group, thin pool) asks for `remaining`.' },
  'size.percent_over_100': { severity: 'error', doc: 'The percentages in one container add up to more than 100%.' },
  'size.does_not_fit': { severity: 'error', doc: 'The members of a container need more space than it has after alignment and overheads (GPT headers, MD superblocks, LVM metadata).' },
  'size.zero': { severity: 'error', doc: 'An object would end up with no space at all.' },
  'size.unaligned': { severity: 'warning', doc: 'An explicit start is not on the alignment boundary; performance may suffer.' },
  'size.not_sector_multiple': { severity: 'error', doc: 'An explicit start or the alignment is not a multiple of the logical sector size.' },
  'partition.overlap': { severity: 'error', doc: 'A partition with an explicit `start` begins inside the partition before it.' },
  'partition.too_many_primary': { severity: 'error', doc: 'An MBR (msdos) table holds at most four primary partitions, the extended one and the config drive included.' },
  'partition.multiple_extended': { severity: 'error', doc: 'An MBR table may hold one extended partition only.' },
  'partition.extended_on_gpt': { severity: 'error', doc: 'Extended and logical partitions exist only in MBR (msdos) tables.' },
  'partition.logical_outside_extended': { severity: 'error', doc: '`logical` partitions are listed under an `extended` partition only.' },
  'partition.table_none': { severity: 'error', doc: 'A disk with `table: none` cannot hold partitions.' },
  'partition.type_mismatch': { severity: 'error', doc: 'The partition type does not exist in this table kind (a GUID on msdos, an MBR byte on gpt, `bios_grub` on msdos).' },
  'partition.name_on_msdos': { severity: 'warning', doc: 'MBR partitions have no names; `name` is ignored.' },
  'partition.too_many': { severity: 'error', doc: 'More partitions than the table holds (128 for GPT).' },
  'partition.mbr_space_unusable': { severity: 'warning', doc: 'The disk is larger than an MBR table can address; the space beyond it stays unused.' },
  // RAID
  'raid.member_count': { severity: 'error', doc: 'Too few members for the RAID level (0: 2, 1: 2, 4: 3, 5: 3, 6: 4, 10: 2, linear: 2).' },
  'raid.spares_not_allowed': { severity: 'error', doc: 'RAID 0 and linear arrays have no redundancy, so spares are meaningless.' },
  'raid.chunk_ignored': { severity: 'warning', doc: 'RAID 1 and linear arrays have no chunk size; it is ignored.' },
  'raid.chunk_invalid': { severity: 'error', doc: 'The chunk is not a power of two of at least 4 KiB.' },
  'raid.metadata_limit': { severity: 'error', doc: 'Metadata 0.90 allows at most 28 devices and members up to 2 TiB.' },
  'raid.member_size_mismatch': { severity: 'warning', doc: 'Members differ in size; the array uses the smallest.' },
  'raid.name_invalid': { severity: 'error', doc: 'An array name is 1–32 letters, digits, `_`, `-` or `.`.' },
  // LVM
  'lvm.name_invalid': { severity: 'error', doc: 'A VG or LV name is 1–127 of letters, digits, `+_.-`, must not start with `-`, and must not be `.`, `..`, or a name lvm reserves (`snapshot`, `pvmove`, `_mlog`, …).' },
  'lvm.name_duplicate': { severity: 'error', doc: 'Two VGs, or two LVs of one VG, share a name.' },
  'lvm.pool_missing': { severity: 'error', doc: 'A thin volume names no pool, or a pool that is not a `thin-pool` of the same VG.' },
  'lvm.pool_on_non_thin': { severity: 'error', doc: 'Only `thin` volumes name a `pool`.' },
  'lvm.thin_overcommit': { severity: 'warning', doc: 'Thin volumes together are larger than their pool (allowed, but writes can fail when it fills).' },
  'lvm.extent_size_invalid': { severity: 'error', doc: 'The extent size is not a power of two of at least 1 KiB.' },
  // Filesystems and mounts
  'fs.label_too_long': { severity: 'error', doc: 'The label is longer than the filesystem allows (ext2/3/4: 16, xfs: 12, vfat: 11, swap: 15, btrfs: 255 bytes).' },
  'fs.label_invalid': { severity: 'error', doc: 'The label has characters the filesystem refuses.' },
  'fs.uuid_invalid': { severity: 'error', doc: 'The UUID is not in the form the filesystem uses (vfat: `XXXX-XXXX`; others: RFC 4122).' },
  'fs.too_small': { severity: 'error', doc: 'The device is smaller than mkfs accepts (xfs: 300 MiB, btrfs: 109 MiB, vfat: 64 KiB, swap: 40 KiB).' },
  'fs.swap_mounted': { severity: 'error', doc: 'Swap is not mounted at a path; drop `mount` (it still goes into fstab).' },
  'fs.option_on_kept': { severity: 'warning', doc: 'A kept filesystem is not recreated, so `label`, `uuid` and `mkfs_options` are not applied.' },
  'mount.not_absolute': { severity: 'error', doc: 'A mount path is absolute, normalised (no `.`, `..`, `//` or trailing `/`).' },
  'mount.duplicate': { severity: 'error', doc: 'Two filesystems are mounted at one path.' },
  'mount.no_root': { severity: 'error', doc: 'Filesystems are mounted but none at `/` (and no whole-disk image provides the root).' },
  'mount.multiple_root': { severity: 'error', doc: 'More than one filesystem at `/`.' },
  'mount.on_container': { severity: 'error', doc: 'A filesystem is placed on a device that is partitioned or used as a RAID member or PV.' },
  'mount.under_kept': { severity: 'error', doc: 'A filesystem is mounted inside a kept one; kept filesystems are not mounted while deploying (that would change their bytes), so nothing can be mounted under them.' },
  // Boot
  'boot.target_not_disk': { severity: 'error', doc: 'Bootloader targets are disks.' },
  'boot.bios_grub_missing': { severity: 'error', doc: 'GRUB for BIOS on a GPT disk needs a `bios_grub` partition (1 MiB is enough) on every target disk.' },
  'boot.esp_missing': { severity: 'error', doc: 'UEFI boot needs an EFI system partition (type `esp`) with a vfat filesystem.' },
  'boot.esp_not_mounted': { severity: 'warning', doc: 'The ESP is not mounted at `/boot/efi` (or `/efi`, `/boot`); grub-install looks there.' },
  'boot.esp_mounted_twice': { severity: 'error', doc: 'Two ESPs are mounted; mount one (at `/boot/efi`, `/efi` or `/boot`): the boot loader step copies it to every other ESP.' },
  'boot.target_without_esp': { severity: 'warning', doc: 'A UEFI boot target disk has no ESP, so the firmware cannot boot from it when the others fail; give every target an `esp` partition with a vfat filesystem (unmounted: a copy of the mounted one).' },
  'boot.auto_partial': { severity: 'warning', doc: 'Firmware `auto` can boot only one way with this layout (no ESP, or no `bios_grub` on a GPT target).' },
  'boot.root_kept': { severity: 'error', doc: 'The root filesystem is kept, so no boot loader can be installed into it; drop `bootloader` or do not keep `/`.' },
  'boot.no_root': { severity: 'error', doc: 'A boot loader is installed into the root filesystem of the plan; there is none (whole-disk images bring their own).' },
  // Config drive
  'configdrive.target_invalid': { severity: 'error', doc: 'The config drive goes to a disk with a partition table or a whole-disk image.' },
  'configdrive.too_large': { severity: 'error', doc: 'A config drive partition is at most 64 MiB (Ironic’s limit).' },
  'configdrive.mbr_no_slot': { severity: 'error', doc: 'The MBR table has no free primary slot left for the config drive.' },
  'configdrive.invalid_encoding': { severity: 'error', doc: 'A config drive string is neither an http(s) URL nor base64 of a gzip-compressed ISO 9660 image.' },
  // Images
  'image.checksum_invalid': { severity: 'error', doc: 'A checksum is `<algorithm>:<hex>` with the hex length of its algorithm (sha256: 64, sha512: 128, md5: 32).' },
  'image.md5_not_allowed': { severity: 'error', doc: 'md5 is refused unless the image sets `allow_md5: true`.' },
  'image.checksum_missing': { severity: 'warning', doc: 'The image has no checksum; corruption in transit would go unnoticed.' },
  'image.source_invalid': { severity: 'error', doc: 'An image source is exactly one of `url` (http/https), `file` (an absolute path) or `glance`.' },
  'image.target_invalid': { severity: 'error', doc: 'The target does not fit the format: `raw`/`qcow2` go to a `disk`, `filesystem` images to a `device` (partition, array or LV), `tar` to a mounted `path`.' },
  'image.collides_with_partitions': { severity: 'error', doc: 'A whole-disk image replaces the whole partition table, so its disk cannot also have partitions (or be used by anything else).' },
  'image.target_kept': { severity: 'error', doc: 'An image would overwrite data marked `keep`.' },
  'image.filesystem_missing': { severity: 'error', doc: 'A filesystem image needs a `filesystems` entry on its device (type, mount, fstab).' },
  'image.duplicate_target': { severity: 'error', doc: 'Two images write to the same target.' },
  // Policy
  'policy.keep_requires_verify': { severity: 'error', doc: '`keep` needs `policy.data: verify`; under `clean` everything named is recreated and the data would be lost.' },
  'policy.keep_conflict': { severity: 'error', doc: 'An object says `keep: false` while something below it is kept, so it could not be recreated without losing the kept data.' },
  'policy.wipe_with_verify': { severity: 'error', doc: 'Under `verify` nothing is wiped; a wipe mode other than `none` contradicts it.' },
  // Inventory
  'inventory.invalid': { severity: 'error', doc: 'The inventory does not have the expected shape.' },
  'inventory.no_match': { severity: 'error', doc: 'No disk of the inventory matches the selector.' },
  'inventory.ambiguous': { severity: 'error', doc: 'More than one disk matches the selector; add hints (serial, wwn, by_path) until one does.' },
  'inventory.same_disk': { severity: 'error', doc: 'Two plan disks select the same real disk.' },
  'inventory.read_only': { severity: 'error', doc: 'The selected disk is read-only.' },
  'inventory.removable': { severity: 'warning', doc: 'The selected disk is removable (USB stick, virtual media); make sure that is meant.' },
  'inventory.sector_size': { severity: 'error', doc: 'The alignment is not a multiple of the disk’s logical sector size.' },
  'inventory.alignment_physical': { severity: 'warning', doc: 'The alignment is not a multiple of the physical sector size; writes will be slow.' },
} as const satisfies Record<string, CodeInfo>;

export type Code = keyof typeof CODES;

export function severityOf(code: Code): Severity {
  return CODES[code].severity;
}
