import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnvilError, CONFIGDRIVE_MAX, configdriveBytes, type Action } from '@anvil/shared';
import { buildConfigdrive } from '../../configdrive/build';
import { placeConfigdrive } from '../../configdrive/place';
import { verifyConfigdrive, writeImageToPartition } from '../../configdrive/write';
import { runCommands, type ExecContext, type HandlerResult } from '../context';
import { isMounted } from './storage';

type Of<K extends Action['kind']> = Extract<Action, { kind: K }>;

export async function writeConfigdrive(a: Of<'write_configdrive'>, ctx: ExecContext): Promise<HandlerResult> {
  const cd = ctx.plan.configdrive!;
  const size = Number(configdriveBytes(cd.size));
  await runCommands(a, ctx);
  let device = a.device;
  let bytes = size;
  if (!device) {
    const diskBytes = Number((await ctx.runner.run(['blockdev', '--getsize64', a.disk])).stdout.trim());
    ({ device, bytes } = await placeConfigdrive(ctx.runner, ctx.log, a.disk, size, diskBytes));
  }
  const image = await buildConfigdrive(cd, ctx.plan.metadata?.node_uuid, ctx.runner, ctx.log, Math.min(bytes, Number(CONFIGDRIVE_MAX)));
  await writeImageToPartition(image, device, bytes);
  await verifyConfigdrive(device, undefined, ctx.runner, ctx.log);
  return 'ok';
}

/** fstab by UUID; a kept filesystem's UUID (written @{id} at compile time) is read from the disk now. */
export async function writeFstab(a: Of<'write_fstab'>, ctx: ExecContext): Promise<HandlerResult> {
  let content = a.content;
  for (const m of [...content.matchAll(/@\{([^}]+)\}/g)]) {
    const fs = (ctx.plan.filesystems ?? []).find((f) => f.id === m[1]);
    const device = fs ? ctx.devices.get(fs.device) : undefined;
    if (!device) throw new AnvilError('exec.unknown_device', `no device for kept filesystem "${m[1]}"`);
    const uuid = (await ctx.runner.run(['blkid', '-p', '-o', 'value', '-s', 'UUID', device])).stdout.trim();
    if (!uuid) throw new AnvilError('verify.filesystem_missing', `kept filesystem "${m[1]}" on ${device} has no UUID: is it really there?`);
    content = content.replace(m[0], uuid);
  }
  await ctx.runner.run(['mkdir', '-p', join(a.path, '..')]);
  writeFileSync(a.path, content);
  return 'ok';
}

/** GRUB inside the deployed tree: kernel parameters, grub-install per firmware, grub.cfg, mdadm.conf, initramfs. */
export async function installBootloader(a: Of<'install_bootloader'>, ctx: ExecContext): Promise<HandlerResult> {
  const root = ctx.compiled.targetRoot;
  const params = ctx.plan.bootloader?.kernel_params ?? [];
  const defaults = join(root, 'etc/default/grub');
  if (params.length && existsSync(defaults)) {
    const text = readFileSync(defaults, 'utf8');
    const line = /^GRUB_CMDLINE_LINUX="([^"]*)"/m;
    const add = params.join(' ');
    writeFileSync(defaults, line.test(text) ? text.replace(line, (_m, cur: string) => `GRUB_CMDLINE_LINUX="${[cur, add].filter(Boolean).join(' ')}"`) : `${text}\nGRUB_CMDLINE_LINUX="${add}"\n`);
  }
  await ensureUuidLinks(ctx);
  const binds = a.commands.filter((c) => c.argv[0] === 'mount');
  for (const c of binds) if (!isMounted(c.argv[c.argv.length - 1]!)) await ctx.runner.run(c.argv);
  if ((ctx.plan.raids ?? []).length && existsSync(join(root, 'etc/mdadm'))) {
    const scan = await ctx.runner.run(['mdadm', '--detail', '--scan']);
    writeFileSync(join(root, 'etc/mdadm/mdadm.conf'), `# written by Anvil\nHOMEHOST <ignore>\n${scan.stdout}`);
  }
  for (const c of a.commands) {
    if (c.argv[0] === 'mount' || (c.when && c.when !== ctx.firmware)) continue;
    await ctx.runner.run(c.argv);
  }
  if (existsSync(join(root, 'usr/sbin/update-initramfs'))) await ctx.runner.run(['chroot', root, 'update-initramfs', '-u', '-k', 'all']);
  if (ctx.firmware === 'uefi' && existsSync('/sys/firmware/efi/efivars') && existsSync(join(root, 'usr/bin/efibootmgr'))) {
    await ctx.runner.run(['chroot', root, 'grub-install', '--target=x86_64-efi', '--efi-directory=/boot/efi', '--bootloader-id=anvil']);
  }
  return 'ok';
}

/**
 * grub-mkconfig writes `root=UUID=…` only when /dev/disk/by-uuid/<uuid> exists; without udev (a minimal
 * ramdisk) it would fall back to a kernel name like /dev/sda2, which need not survive a reboot. Make the links
 * for the plan's filesystems.
 */
async function ensureUuidLinks(ctx: ExecContext): Promise<void> {
  const dir = '/dev/disk/by-uuid';
  for (const fs of ctx.plan.filesystems ?? []) {
    const device = ctx.devices.get(fs.device);
    if (!device) continue;
    const uuid = (await ctx.runner.run(['blkid', '-p', '-o', 'value', '-s', 'UUID', device], { allowFail: true })).stdout.trim();
    if (!uuid || existsSync(join(dir, uuid))) continue;
    mkdirSync(dir, { recursive: true });
    symlinkSync(device, join(dir, uuid));
  }
}
