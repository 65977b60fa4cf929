/** Partition type aliases: GPT type GUIDs (from the UEFI spec and the Discoverable Partitions Spec) and MBR bytes. */
export interface TypeAlias {
  readonly guid: string;
  /** sgdisk's 4-hex-digit shorthand, for readable commands. */
  readonly sgdisk: string;
  /** MBR type byte, or undefined when the type has no MBR form. */
  readonly mbr: number | undefined;
}

export const TYPE_ALIASES: Readonly<Record<string, TypeAlias>> = {
  linux: { guid: '0FC63DAF-8483-4772-8E79-3D69D8477DE4', sgdisk: '8300', mbr: 0x83 },
  esp: { guid: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', sgdisk: 'EF00', mbr: 0xef },
  bios_grub: { guid: '21686148-6449-6E6F-744E-656564454649', sgdisk: 'EF02', mbr: undefined },
  raid: { guid: 'A19D880F-05FC-4D3B-A006-743F0F84911E', sgdisk: 'FD00', mbr: 0xfd },
  lvm: { guid: 'E6D6D379-F507-44C2-A23C-238F2A3DF928', sgdisk: '8E00', mbr: 0x8e },
  swap: { guid: '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F', sgdisk: '8200', mbr: 0x82 },
  home: { guid: '933AC7E1-2EB4-4F13-B844-0E14E2AEF915', sgdisk: '8302', mbr: 0x83 },
  srv: { guid: '3B8F8425-20E0-4F3B-907F-1A25A76F98E8', sgdisk: '8306', mbr: 0x83 },
  root: { guid: '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709', sgdisk: '8304', mbr: 0x83 },
  xbootldr: { guid: 'BC13C2FF-59E6-4262-A352-B275FD6F7172', sgdisk: 'EA00', mbr: 0xea },
  basic_data: { guid: 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7', sgdisk: '0700', mbr: 0x0c },
};

export const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** MBR byte for extended partitions (LBA). */
export const MBR_EXTENDED = 0x0f;

export type ResolvedType =
  | { ok: true; guid: string | undefined; mbr: number | undefined; alias: string | undefined }
  | { ok: false; reason: string };

/** Resolves a partition's `type`/`mbr_type` for the given table kind. */
export function resolvePartitionType(
  table: 'gpt' | 'msdos',
  type: string | undefined,
  mbrType: number | string | undefined,
): ResolvedType {
  const mbrByte = typeof mbrType === 'string' ? parseInt(mbrType, 16) : mbrType;
  if (table === 'gpt') {
    if (mbrByte !== undefined) return { ok: false, reason: 'mbr_type is for msdos tables only' };
    if (type === undefined) return { ok: true, guid: TYPE_ALIASES.linux!.guid, mbr: undefined, alias: 'linux' };
    const alias = TYPE_ALIASES[type];
    if (alias) return { ok: true, guid: alias.guid, mbr: undefined, alias: type };
    if (GUID_RE.test(type)) return { ok: true, guid: type.toUpperCase(), mbr: undefined, alias: undefined };
    return { ok: false, reason: `"${type}" is neither a known type alias nor a GUID` };
  }
  if (type !== undefined) {
    if (GUID_RE.test(type)) return { ok: false, reason: 'GPT type GUIDs do not exist in msdos tables; use mbr_type' };
    const alias = TYPE_ALIASES[type];
    if (!alias) return { ok: false, reason: `"${type}" is not a known type alias` };
    if (alias.mbr === undefined) return { ok: false, reason: `type "${type}" has no MBR equivalent` };
    if (mbrByte !== undefined && mbrByte !== alias.mbr) {
      return { ok: false, reason: `type "${type}" and mbr_type 0x${mbrByte.toString(16)} disagree` };
    }
    return { ok: true, guid: undefined, mbr: alias.mbr, alias: type };
  }
  return { ok: true, guid: undefined, mbr: mbrByte ?? 0x83, alias: undefined };
}

/** GPT type or flag says this partition is an EFI system partition. */
export function isEspPartition(p: { type?: string | undefined; flags?: readonly string[] | undefined }): boolean {
  return (
    p.type === 'esp' ||
    p.type?.toUpperCase() === TYPE_ALIASES.esp!.guid ||
    (p.flags ?? []).includes('esp')
  );
}

export function isBiosGrubPartition(p: { type?: string | undefined; flags?: readonly string[] | undefined }): boolean {
  return (
    p.type === 'bios_grub' ||
    p.type?.toUpperCase() === TYPE_ALIASES.bios_grub!.guid ||
    (p.flags ?? []).includes('bios_grub')
  );
}
