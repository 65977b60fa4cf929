import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleAgent } from '../../agent/src/build/bundle';

/**
 * Emulated servers for the e2e suite: QEMU (TCG) boots Debian's cloud kernel with Anvil's test ramdisk
 * (scripts/vm/build-ramdisk.sh) and virtio disks; the agent bundle, the plans and a script arrive through
 * fw_cfg; results come back on the serial console between markers.
 */
const ROOT = join(__dirname, '../..');
export const VM_DIR = process.env.ANVIL_VM_DIR ?? '/var/tmp/anvil-vm';

/** Builds the ramdisk (once; rebuilt when its scripts change) and the agent bundle (every run). */
export function prepareVm(): void {
  const stamp = join(VM_DIR, 'stamp');
  // The tools list is an input too: the ramdisk carries what scripts/tools.tsv names.
  const inputs = ['scripts/vm/build-ramdisk.sh', 'scripts/vm/guest-init.sh', 'scripts/tools.tsv'].map((f) => readFileSync(join(ROOT, f), 'utf8')).join('\n');
  const want = createHash('sha256').update(inputs).digest('hex');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== want || !existsSync(join(VM_DIR, 'initrd.img'))) {
    execFileSync('bash', [join(ROOT, 'scripts/vm/build-ramdisk.sh')], { env: { ...process.env, OUT: VM_DIR }, stdio: 'inherit' });
    writeFileSync(stamp, want);
  }
  bundleAgent(join(VM_DIR, 'anvil.cjs'));
}

export interface VmRun {
  readonly console: string;
  readonly rc: number | undefined;
  readonly seconds: number;
  /** Sections the guest printed between `ANVIL-OUT-BEGIN name` and `ANVIL-OUT-END name`. */
  readonly out: Record<string, string>;
}

export interface VmOptions {
  /** Sizes of the virtio disks in MiB (disk0, disk1, …: serials anvil-disk0…). */
  readonly disks: readonly number[];
  /** Files for /opt/anvil in the guest (contents, or { path } to copy a host file); run.sh is what the guest runs. */
  readonly files?: Record<string, string | { path: string }>;
  /** Keep the disk images here (created when missing), so another run can boot from them. */
  readonly diskDir?: string;
  /** `kernel`: the test ramdisk with the payload (default). `disk`: the firmware boots disk0, as after a deploy. */
  readonly boot?: 'kernel' | 'disk';
  /** Firmware for a disk boot: SeaBIOS (default) or OVMF. */
  readonly firmware?: 'bios' | 'uefi';
  readonly timeoutSeconds?: number;
  readonly memoryMiB?: number;
}

export async function runVm(name: string, o: VmOptions): Promise<VmRun> {
  const dir = mkdtempSync(join(tmpdir(), `anvil-vm-${name}-`));
  try {
    const args = ['-accel', 'tcg,thread=multi', '-m', String(o.memoryMiB ?? 2048), '-smp', '2', '-nographic', '-no-reboot', '-nodefaults', '-serial', 'stdio', '-netdev', 'user,id=n0,restrict=on', '-device', 'virtio-net-pci,netdev=n0'];
    if ((o.boot ?? 'kernel') === 'kernel') {
      const payload = join(dir, 'payload');
      mkdirSync(payload);
      writeFileSync(join(payload, 'anvil.cjs'), readFileSync(join(VM_DIR, 'anvil.cjs')));
      const big = Object.entries(o.files ?? {}).filter((e): e is [string, { path: string }] => typeof e[1] !== 'string');
      for (const [f, content] of Object.entries(o.files ?? {})) if (typeof content === 'string') writeFileSync(join(payload, f), content);
      execFileSync('tar', ['-cf', join(dir, 'payload.tar'), '-C', payload, '.']);
      if (big.length) {
        // host files travel on a disk holding a raw tar (serial anvil-payload), which the plans never select
        const links = join(dir, 'payload-disk');
        mkdirSync(links);
        for (const [name, { path }] of big) symlinkSync(path, join(links, name));
        execFileSync('tar', ['--dereference', '-cf', join(dir, 'payload-disk.tar'), '-C', links, ...big.map(([name]) => name)]);
        args.push('-drive', `file=${join(dir, 'payload-disk.tar')},if=none,id=pl,format=raw,readonly=on`, '-device', 'virtio-blk-pci,drive=pl,serial=anvil-payload');
      }
      args.push('-kernel', join(VM_DIR, 'vmlinuz'), '-initrd', join(VM_DIR, 'initrd.img'), '-append', 'console=ttyS0 panic=-1 quiet loglevel=3', '-fw_cfg', `name=opt/anvil/payload.tar,file=${join(dir, 'payload.tar')}`);
    }
    if (o.firmware === 'uefi') args.push('-bios', '/usr/share/ovmf/OVMF.fd');
    const diskDir = o.diskDir ?? dir;
    o.disks.forEach((mib, i) => {
      const f = join(diskDir, `disk${i}.img`);
      if (!existsSync(f)) {
        writeFileSync(f, '');
        truncateSync(f, mib * 1024 * 1024);
      }
      const boot = o.boot === 'disk' && i === 0 ? ',bootindex=1' : '';
      args.push('-drive', `file=${f},if=none,id=d${i},format=raw,cache=unsafe`, '-device', `virtio-blk-pci,drive=d${i},serial=anvil-disk${i}${boot}`);
    });
    const t0 = Date.now();
    const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let consoleText = '';
    child.stdout.on('data', (d: Buffer) => (consoleText += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (consoleText += d.toString('utf8')));
    const timeout = (o.timeoutSeconds ?? 900) * 1000;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        consoleText += '\nANVIL-HOST: timeout, killing QEMU\n';
        child.kill('SIGKILL');
      }, timeout);
      child.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const clean = consoleText.replace(/\r/g, '');
    const rcMatch = /ANVIL-GUEST-RC=(\d+)/.exec(clean);
    const out: Record<string, string> = {};
    for (const m of clean.matchAll(/ANVIL-OUT-BEGIN (\S+)\n([\s\S]*?)ANVIL-OUT-END \1/g)) out[m[1]!] = m[2]!;
    if (process.env.ANVIL_VM_LOG) writeFileSync(join(process.env.ANVIL_VM_LOG, `${name}.console.log`), clean);
    return { console: clean, rc: rcMatch ? Number(rcMatch[1]) : undefined, seconds: (Date.now() - t0) / 1000, out };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The guest script: run the agent on each plan in turn, then print the state of the disks. */
export function guestScript(plans: readonly string[], firmware: 'bios' | 'uefi' = 'bios'): string {
  const runs = plans
    .map(
      (p, i) => `echo "ANVIL-STEP provision ${p}"
node --max-semi-space-size=1 --single-threaded-gc /opt/anvil/anvil.cjs provision --plan /opt/anvil/${p} --progress json --log-file /tmp/agent-${i}.log --log-level info --firmware ${firmware} --state /run/anvil-${i}.state --target-root /mnt/target > /tmp/events-${i}.jsonl
rc=$?
echo "ANVIL-OUT-BEGIN events-${i}"; cat /tmp/events-${i}.jsonl; echo "ANVIL-OUT-END events-${i}"
if [ $rc -ne 0 ]; then echo "ANVIL-OUT-BEGIN log-${i}"; tail -n 40 /tmp/agent-${i}.log; echo "ANVIL-OUT-END log-${i}"; exit $rc; fi`,
    )
    .join('\n');
  return `#!/bin/sh
${runs}
sleep 1
echo "ANVIL-OUT-BEGIN lsblk"; lsblk --json --bytes -o NAME,TYPE,SIZE,FSTYPE,LABEL,UUID,PKNAME,MOUNTPOINT; echo "ANVIL-OUT-END lsblk"
echo "ANVIL-OUT-BEGIN mdstat"; cat /proc/mdstat; echo "ANVIL-OUT-END mdstat"
echo "ANVIL-OUT-BEGIN lvs"; lvs --reportformat json -o lv_name,vg_name,lv_size,segtype,pool_lv --units b 2>/dev/null; echo "ANVIL-OUT-END lvs"
echo "ANVIL-OUT-BEGIN blkid"; for d in /dev/vd* /dev/md[0-9]* /dev/dm-*; do [ -b "$d" ] && blkid -p -o export "$d" && echo; done 2>/dev/null; echo "ANVIL-OUT-END blkid"
exit 0
`;
}
