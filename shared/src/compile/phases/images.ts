import { posix } from 'node:path';
import { filesystemKind } from '../../filesystems';
import { isKept } from '../../model/policy';
import { parseChecksum } from '../../model/checksum';
import type { ImageT } from '../../plan/v1/image';
import { MiB } from '../../size/units';
import { redactUrl } from '../../protocol/redact';
import type { Command, ImageSpec } from '../actions';
import type { CompileState } from '../state';
import { TOOLS } from '../tools';
import { derivedUuid, derivedVolumeId } from '../uuids';

/** The first bytes of a whole image are held back and written last, once the checksum matched. */
export const IMAGE_HEAD_BYTES = Number(MiB);

type External = 'xz' | 'zstd' | 'bzip2';

/** The decompressors run as processes (gzip is decompressed in process, with zlib). */
export const DECOMPRESSORS: Readonly<Record<External, readonly string[]>> = {
  xz: ['xz', '--decompress', '--stdout', '--threads=0'],
  zstd: ['zstd', '--decompress', '--stdout', '--quiet'],
  bzip2: ['bzip2', '--decompress', '--stdout'],
};

/**
 * A zstd image of several frames is decoded by pzstd, one frame per core (pzstd's default: as many threads as
 * cores). One frame cannot be split, and pzstd is slower than zstd at it, so single-frame images stay with zstd.
 */
export const PZSTD: readonly string[] = ['pzstd', '--decompress', '--stdout', '--quiet'];

function decompressors(image: ImageT, parallel = false): Command[] {
  const c = image.compression ?? 'auto';
  const kinds = (Object.keys(DECOMPRESSORS) as External[]).filter((k) => c === 'auto' || c === k);
  return kinds.flatMap((k): Command[] => [
    ...(k === 'zstd' && parallel ? [{ argv: PZSTD, when: { compression: k, zstdFrames: 'many', tools: ['pzstd'] } } satisfies Command] : []),
    { argv: DECOMPRESSORS[k], when: { compression: k } },
  ]);
}

function describeSource(im: ImageT): string {
  if (im.source.url !== undefined) return redactUrl(im.source.url);
  if (im.source.file !== undefined) return `file://${im.source.file}`;
  return `glance:${im.source.glance!.image_id}`;
}

function spec(im: ImageT): ImageSpec {
  return { source: im.source, ...(im.checksum !== undefined ? { checksum: im.checksum } : {}), ...(im.compression !== undefined ? { compression: im.compression } : {}), ...(im.format !== undefined ? { format: im.format } : {}) };
}

/** The processes a device image streams through (the write_image action's pipes). */
export function devicePipes(im: ImageT, device: string): Command[] {
  if ((im.format ?? 'raw') === 'qcow2') {
    // The agent streams qcow2 itself (header and L1/L2 tables by range requests, then one pass); qemu-img only
    // converts what that streamer refuses (subclusters, a backing file, an external data file, encryption).
    return [{ argv: ['qemu-img', 'convert', '-p', '-f', 'qcow2', '-O', 'raw', '-t', 'none', '-W', '{input}', device], fill: ['input'], when: { streamer: 'refused' } }];
  }
  const dec = decompressors(im, true);
  if (!dec.length) return [];
  return [
    ...dec,
    // The decompressed head goes to a scratch file, the rest straight to the device (direct I/O where it takes it).
    { argv: [TOOLS.dd, 'bs=1M', 'count=1', 'iflag=fullblock', 'of={head}', 'status=none'], fill: ['head'] },
    { argv: [TOOLS.dd, `of=${device}`, 'bs={block}', 'oflag={oflag}', 'iflag=fullblock', `seek=${IMAGE_HEAD_BYTES}`, 'conv=fsync,notrunc'], fill: ['block', 'oflag'] },
  ];
}

/** Zeroes an image's extent on a device that offloads it (filled with the extent once the agent knows it). */
export function imageZeroCommand(device: string): Command {
  return { argv: [TOOLS.blkdiscard, '--zeroout', '--force', '--offset', '0', '--length', '{length}', device], fill: ['length'], when: { writeZeroes: device }, group: 'zero' };
}

/** Images onto disks and devices, then mkfs for every other filesystem that is not kept. */
export function compileImagesAndFilesystems(s: CompileState): void {
  (s.plan.images ?? []).forEach((im, i) => {
    const format = im.format ?? 'raw';
    if (format === 'tar') return;
    const device = s.dev(im.target.disk ?? im.target.device!);
    const fs = im.target.device !== undefined ? s.model.filesystemOn.get(im.target.device) : undefined;
    const checksum = im.checksum ? parseChecksum(im.checksum) : undefined;
    // Where the device zeroes for free, the image's extent is zeroed first and the writer skips zero blocks
    // (disk images are mostly zeros); the agent fills in the extent once it knows it (Content-Length, a qcow2's
    // virtual size). Compressed streams of unknown length are written whole.
    const commands: Command[] = [imageZeroCommand(device)];
    if (fs) {
      const uuid = fs.type === 'vfat' ? derivedVolumeId(s.seed, fs.id) : derivedUuid(s.seed, fs.id);
      s.uuids.set(fs.id, uuid);
      s.fsFromImage.add(fs.id);
      commands.push(...filesystemKind(fs.type).afterImage(device, uuid));
    }
    // Moving the backup GPT header is for images that brought a GPT: on any other disk sgdisk would make one.
    if (format !== 'filesystem' && im.target.disk !== undefined) commands.push({ argv: [TOOLS.sgdisk, '--move-second-header', device], when: { table: { device, label: 'gpt' } } });
    s.push({
      kind: 'write_image', id: im.id, pointer: s.ptr(['images', i]), device, format, image: spec(im),
      summary: `stream ${describeSource(im)} (${format}, compression ${im.compression ?? 'auto'}) onto ${device}`,
      internal:
        format === 'qcow2'
          ? `qcow2 header and L1/L2 tables by range requests → one download, ${checksum ? `${checksum.algorithm} verified` : 'no checksum'}, each cluster to its guest offset on ${device} (zero clusters as zeros); the first MiB is written only after the checksum matches`
          : `download → decompress → ${checksum ? `${checksum.algorithm} verify` : 'no checksum'} → ${device}; the first MiB is written only after the checksum matches`,
      probes: [{ argv: ['blockdev', '--getsize64', device] }],
      pipes: devicePipes(im, device),
      commands,
    });
  });
  (s.plan.filesystems ?? []).forEach((fs, i) => {
    if (s.fsFromImage.has(fs.id) || isKept(s.model, fs.id)) return;
    const device = s.dev(fs.device);
    const uuid = fs.uuid ?? (fs.type === 'vfat' ? derivedVolumeId(s.seed, fs.id) : derivedUuid(s.seed, fs.id));
    s.uuids.set(fs.id, uuid);
    s.push({
      kind: 'mkfs', id: fs.id, pointer: s.ptr(['filesystems', i]), device, fsType: fs.type, uuid, ...(fs.label !== undefined ? { label: fs.label } : {}),
      summary: `${fs.type} on ${device}${fs.label ? ` labelled ${fs.label}` : ''}`,
      probes: [{ argv: ['blkid', '-p', '-o', 'value', '-s', 'UUID', device] }],
      commands: [{ argv: filesystemKind(fs.type).mkfs(device, uuid, fs.label, fs.mkfs_options ?? []) }],
    });
  });
}

/** Mount order: "/" first, then by depth; swap (no path) last. */
export function depth(path: string | undefined): number {
  if (path === undefined) return 1000;
  return path === '/' ? 0 : path.split('/').length - 1;
}

/** The target tree mounted, shallow paths first, then tarballs extracted into it. */
export function compileMountsAndTrees(s: CompileState): void {
  const filesystems = s.plan.filesystems ?? [];
  s.mounted = filesystems
    .map((fs, i) => ({ fs, i }))
    // Kept filesystems are not mounted: even a mount changes their bytes.
    .filter(({ fs }) => fs.mount !== undefined && !isKept(s.model, fs.id))
    .sort((a, b) => depth(a.fs.mount!.path) - depth(b.fs.mount!.path) || a.fs.mount!.path.localeCompare(b.fs.mount!.path));
  for (const { fs, i } of s.mounted) {
    const device = s.dev(fs.device);
    const mountpoint = fs.mount!.path === '/' ? s.targetRoot : posix.join(s.targetRoot, fs.mount!.path);
    const commands: Command[] = [{ argv: [TOOLS.mkdir, '-p', mountpoint] }, { argv: [TOOLS.mount, '-t', fs.type, device, mountpoint] }];
    const grow = filesystemKind(fs.type).growMounted;
    if (s.fsFromImage.has(fs.id) && grow) commands.push({ argv: grow(mountpoint) });
    s.push({ kind: 'mount', id: fs.id, pointer: s.ptr(['filesystems', i, 'mount']), device, mountpoint, fsType: fs.type, summary: `mount ${device} at ${mountpoint}`, commands });
  }
  (s.plan.images ?? []).forEach((im, i) => {
    if ((im.format ?? 'raw') !== 'tar') return;
    const mountpoint = posix.join(s.targetRoot, im.target.path!);
    s.push({
      kind: 'extract_image', id: im.id, pointer: s.ptr(['images', i]), mountpoint, image: spec(im),
      summary: `extract ${describeSource(im)} into ${mountpoint}`,
      commands: [{ argv: [TOOLS.mkdir, '-p', mountpoint] }],
      pipes: [...decompressors(im), { argv: ['tar', '--extract', '--file=-', `--directory=${mountpoint}`, '--numeric-owner', '--same-owner', '--preserve-permissions', '--xattrs', '--xattrs-include=*', '--acls'] }],
      internal: `download → decompress → verify → tar extract keeping owners, modes, xattrs and ACLs into ${mountpoint}`,
    });
  });
}
