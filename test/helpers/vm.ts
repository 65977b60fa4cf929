import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Emulated servers for the VM suite: QEMU (TCG) boots a built bootstrap image (kernel and initramfs, as PXE
 * would hand them over) with virtio disks and a NIC on QEMU's user network, where the host's loopback is
 * 10.0.2.2. The image's own units do the work (`anvil.plan=` makes it provision standalone); the run ends when
 * the guest powers off, and the console is returned.
 */
export const HOST_FROM_GUEST = '10.0.2.2';

export interface VmRun {
  readonly console: string;
  readonly seconds: number;
  /** The guest powered off by itself (false: killed at the timeout). */
  readonly exited: boolean;
}

export interface VmOptions {
  /** Sizes of the virtio disks in MiB (disk0, disk1, …: serials anvil-disk0…), created in diskDir when missing. */
  readonly disks: readonly number[];
  readonly diskDir: string;
  readonly kernel: string;
  readonly initramfs: string;
  readonly append: string;
  readonly timeoutSeconds?: number;
  readonly memoryMiB?: number;
}

export function diskPath(diskDir: string, i: number): string {
  return join(diskDir, `disk${i}.img`);
}

export async function runVm(name: string, o: VmOptions): Promise<VmRun> {
  const args = ['-accel', 'tcg,thread=multi', '-m', String(o.memoryMiB ?? 2048), '-smp', '2', '-nographic', '-no-reboot', '-nodefaults', '-serial', 'stdio', '-netdev', 'user,id=n0', '-device', 'virtio-net-pci,netdev=n0'];
  args.push('-kernel', o.kernel, '-initrd', o.initramfs, '-append', o.append);
  o.disks.forEach((mib, i) => {
    const f = diskPath(o.diskDir, i);
    if (!existsSync(f)) {
      writeFileSync(f, '');
      truncateSync(f, mib * 1024 * 1024);
    }
    args.push('-drive', `file=${f},if=none,id=d${i},format=raw,cache=unsafe`, '-device', `virtio-blk-pci,drive=d${i},serial=anvil-disk${i}`);
  });
  const t0 = Date.now();
  const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let consoleText = '';
  let exited = true;
  child.stdout.on('data', (d: Buffer) => (consoleText += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (consoleText += d.toString('utf8')));
  await new Promise<void>((resolve) => {
    const timer = setTimeout(
      () => {
        exited = false;
        consoleText += '\nANVIL-HOST: timeout, killing QEMU\n';
        child.kill('SIGKILL');
      },
      (o.timeoutSeconds ?? 900) * 1000,
    );
    child.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const clean = consoleText.replace(/\r/g, '');
  if (process.env.ANVIL_VM_LOG) writeFileSync(join(process.env.ANVIL_VM_LOG, `${name}.console.log`), clean);
  return { console: clean, seconds: (Date.now() - t0) / 1000, exited };
}

/** The JSON lines (progress events) the guest printed on its console. */
export function consoleEvents(consoleText: string): Array<Record<string, unknown>> {
  return consoleText
    .split('\n')
    .map((l) => l.slice(l.indexOf('{"ts":')))
    .filter((l) => l.startsWith('{"ts":'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** A scratch directory for a run's disks. */
export function vmDiskDir(name: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `anvil-vm-${name}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
