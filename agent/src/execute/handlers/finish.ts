import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnvilError, CONFIG_LABEL, CONFIGDRIVE_MAX, decodeConfigdriveString, type Action } from '@anvil/shared';
import { isIso9660 } from '../../configdrive/build';
import { placeConfigdrive } from '../../configdrive/place';
import { parseTable } from '../../disk/table';
import { probe, runCommands, type Fill } from '../commands';
import type { ExecContext, HandlerResult } from '../context';
import { nodeWaiter } from './disks';

type Of<K extends Action['kind']> = Extract<Action, { kind: K }>;

/** After a whole-disk image: the config-2 partition the image has, or a new one at the end of the disk. */
async function placed(a: Of<'write_configdrive'>, ctx: ExecContext): Promise<{ device: string; bytes: number }> {
  const diskBytes = Number((await probe(a, ctx, ['blockdev', '--getsize64', a.disk])).stdout.trim());
  const waitFor = nodeWaiter(a, ctx, a.disk);
  await runCommands(a, ctx, { group: 'place', waitFor }); // the GPT backup header moved to the end first
  const table = parseTable(await probe(a, ctx, ['sfdisk', '--json', a.disk]));
  if (!table) throw new AnvilError('configdrive.no_table', `${a.disk} has no partition table after the image was written; a config drive needs one`);
  for (const p of table.partitions ?? []) {
    const label = (await probe(a, ctx, ['blkid', '-p', '-o', 'value', '-s', 'LABEL', p.node], { partition: p.node })).stdout.trim();
    if (label.toLowerCase() === CONFIG_LABEL) {
      ctx.log.info({ device: p.node }, 'reusing the existing config-2 partition');
      return { device: p.node, bytes: p.size * (table.sectorsize ?? 512) };
    }
  }
  const at = placeConfigdrive(table, a.disk, a.configdrive.bytes, diskBytes);
  const label = table.label === 'dos' ? 'msdos' : (table.label as 'gpt' | 'msdos');
  const values: Fill = { number: at.number, start: at.start, end: at.end };
  await runCommands(a, ctx, { group: 'create', values, waitFor, env: { tableOf: () => Promise.resolve(label) } });
  const after = parseTable(await probe(a, ctx, ['sfdisk', '--json', a.disk]));
  const device = after?.partitions?.find((p) => p.start === at.start)?.node;
  if (!device) throw new AnvilError('configdrive.no_space', `the config drive partition did not appear on ${a.disk}`);
  await waitFor([device]);
  return { device, bytes: at.bytes };
}

/** The image bytes from any of Ironic's forms: gzip+base64 ISO, URL, or JSON built with the action's commands. */
async function image(a: Of<'write_configdrive'>, ctx: ExecContext, maxBytes: number): Promise<Buffer> {
  const cd = a.configdrive;
  if (typeof cd.source === 'string') {
    const s = cd.source.trim();
    if (/^https?:\/\//i.test(s)) return ctx.io.fetchConfigdrive(s, maxBytes, ctx.log);
    const iso = decodeConfigdriveString(s);
    if (!iso) throw new AnvilError('configdrive.invalid_encoding', 'the config drive string is not base64 of a gzip-compressed image');
    return iso;
  }
  const work = await mkdtemp(join(tmpdir(), 'anvil-cd-'));
  try {
    const tree = join(work, 'tree');
    await ctx.io.writeConfigTree(tree, cd.source, cd.nodeUuid);
    const out = join(work, 'configdrive.img');
    await runCommands(a, ctx, { group: 'build', values: { image: out, tree, bytes: Math.min(maxBytes, 64 << 20) } });
    const built = await ctx.io.readFile(out);
    if (built.length > maxBytes) throw new AnvilError('configdrive.too_large', `the config drive image is ${built.length} bytes; its partition holds ${maxBytes}`);
    ctx.log.info({ bytes: built.length, format: cd.format }, 'config drive built');
    return built;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Reads the config drive back: the label must be config-2 and meta_data.json must parse. */
async function verify(a: Of<'write_configdrive'>, ctx: ExecContext, device: string): Promise<void> {
  const fill = { partition: device };
  const label = (await probe(a, ctx, ['blkid', '-p', '-o', 'value', '-s', 'LABEL', device], fill)).stdout.trim();
  if (label.toLowerCase() !== CONFIG_LABEL) throw new AnvilError('configdrive.readback_failed', `${device} has label "${label}" after writing, not ${CONFIG_LABEL}`);
  const head = await ctx.io.readHead(device, 40000);
  const work = await mkdtemp(join(tmpdir(), 'anvil-cdv-'));
  try {
    const out = join(work, 'meta_data.json');
    const r = isIso9660(head) ? await probe(a, ctx, ['xorriso', '-osirrox'], { ...fill, out }) : await probe(a, ctx, ['mcopy', '-i', device], { ...fill, out });
    if (r.failed) throw new AnvilError('configdrive.readback_failed', `cannot read meta_data.json back from ${device}: ${r.stderr.trim().split('\n').pop() ?? ''}`);
    JSON.parse((await ctx.io.readFile(out)).toString('utf8'));
    ctx.log.info({ device, label }, 'config drive read back');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export async function writeConfigdrive(a: Of<'write_configdrive'>, ctx: ExecContext): Promise<HandlerResult> {
  const target = a.device ? { device: a.device, bytes: a.configdrive.bytes } : await placed(a, ctx);
  const bytes = await image(a, ctx, Math.min(target.bytes, Number(CONFIGDRIVE_MAX)));
  await ctx.io.writePartition(bytes, target.device, target.bytes);
  await verify(a, ctx, target.device);
  return 'ok';
}

/** fstab by UUID; a kept filesystem's UUID (`{uuid:<id>}` in the content) is read from its device now. */
export async function writeFstab(a: Of<'write_fstab'>, ctx: ExecContext): Promise<HandlerResult> {
  const values: Record<string, string> = {};
  for (const k of a.kept) {
    const uuid = (await probe(a, ctx, ['blkid', '-p', '-o', 'value', '-s', 'UUID', k.device])).stdout.trim();
    if (!uuid) throw new AnvilError('verify.filesystem_missing', `kept filesystem "${k.id}" on ${k.device} has no UUID: is it really there?`);
    values[`uuid:${k.id}`] = uuid;
  }
  await runCommands(a, ctx, { values });
  return 'ok';
}

/** GRUB inside the deployed tree: every command is the action's, each run when its condition holds here. */
export async function installBootloader(a: Of<'install_bootloader'>, ctx: ExecContext): Promise<HandlerResult> {
  await runCommands(a, ctx);
  return 'ok';
}
