import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, openSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stopProcessGroup, waitFor } from '../ironic';

/**
 * An emulated bare-metal server: a QEMU machine (TCG) whose power and boot device are behind a BMC, OpenIPMI's
 * ipmi_sim, on 127.0.0.1 of the lab's network namespace. Ironic's ipmitool interfaces talk to the BMC; the BMC's
 * chassis_control hook (scripts/lab/bmc-hook.sh) starts QEMU for a power-on with the boot device last set
 * (PXE: the NIC first; otherwise the disks) and stops it for a power-off. The serial console goes to one file
 * across power cycles, which the test reads for the markers it waits on.
 */
const HOOK = join(__dirname, '../../../scripts/lab/bmc-hook.sh');
const run = promisify(execFile);

export interface ServerOptions {
  readonly name: string;
  /** The lab tap (scripts/lab/net.sh makes lab-tap0…): one per server. */
  readonly tap: number;
  readonly firmware: 'bios' | 'uefi';
  /** Virtio disk sizes in MiB; serials anvil-disk0… */
  readonly disksMiB: readonly number[];
  readonly memoryMiB?: number;
  readonly dir: string;
}

export class EmulatedServer {
  readonly mac: string;
  readonly bmcPort: number;
  readonly bmcPassword = randomBytes(6).toString('hex');
  readonly console: string;
  private bmc?: ChildProcess;

  private constructor(readonly o: ServerOptions) {
    this.mac = `52:54:00:a7:00:${(0x10 + o.tap).toString(16).padStart(2, '0')}`;
    this.bmcPort = 26230 + o.tap;
    this.console = join(o.dir, 'console.log');
  }

  get dir(): string {
    return this.o.dir;
  }

  disk(i: number): string {
    return join(this.o.dir, `disk${i}.img`);
  }

  /** Writes the machine, starts its BMC and waits until the BMC answers ipmitool (the server stays off). */
  static async create(o: ServerOptions): Promise<EmulatedServer> {
    mkdirSync(o.dir, { recursive: true });
    const s = new EmulatedServer(o);
    o.disksMiB.forEach((mib, i) => {
      writeFileSync(s.disk(i), '');
      truncateSync(s.disk(i), mib * 1024 * 1024);
    });
    if (o.firmware === 'uefi') copyFileSync('/usr/share/OVMF/OVMF_VARS_4M.fd', join(o.dir, 'OVMF_VARS.fd'));
    writeFileSync(join(o.dir, 'boot-pxe.args'), s.qemuArgs('pxe').join('\n') + '\n');
    writeFileSync(join(o.dir, 'boot-disk.args'), s.qemuArgs('disk').join('\n') + '\n');
    writeFileSync(s.console, '');
    await s.startBmc();
    return s;
  }

  /** QEMU's arguments for one power-on: the boot order is the only difference between PXE and disk. */
  private qemuArgs(boot: 'pxe' | 'disk'): string[] {
    const o = this.o;
    const args = ['-name', o.name, '-machine', 'q35', '-accel', 'tcg,thread=multi', '-cpu', 'max', '-smp', '2', '-m', String(o.memoryMiB ?? 3072), '-display', 'none', '-vga', 'none', '-nodefaults', '-no-user-config', '-no-reboot', '-device', 'virtio-rng-pci'];
    if (o.firmware === 'uefi') args.push('-drive', 'if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd', '-drive', `if=pflash,format=raw,file=${join(o.dir, 'OVMF_VARS.fd')}`);
    args.push('-netdev', `tap,id=n0,ifname=lab-tap${o.tap},script=no,downscript=no`, '-device', `virtio-net-pci,netdev=n0,mac=${this.mac}${boot === 'pxe' ? ',bootindex=1' : ''}`);
    o.disksMiB.forEach((_mib, i) => {
      const index = boot === 'pxe' ? i + 2 : i + 1;
      args.push('-drive', `file=${this.disk(i)},if=none,id=d${i},format=raw,cache=unsafe,discard=unmap`, '-device', `virtio-blk-pci,drive=d${i},serial=anvil-disk${i},bootindex=${index}`);
    });
    if (boot === 'disk') args.push('-boot', 'strict=on');
    args.push('-chardev', `file,id=con,path=${this.console},append=on`, '-serial', 'chardev:con');
    return args;
  }

  private async startBmc(): Promise<void> {
    const d = this.o.dir;
    const guid = randomBytes(16).toString('hex');
    writeFileSync(
      join(d, 'lan.conf'),
      [
        `name "${this.o.name}"`,
        'set_working_mc 0x20',
        '  startlan 1',
        `    addr 127.0.0.1 ${this.bmcPort}`,
        '    priv_limit admin',
        ...['callback', 'user', 'operator', 'admin'].map((p) => `    allowed_auths_${p} none md2 md5 straight`),
        `    guid ${guid}`,
        '  endlan',
        `  chassis_control "/usr/bin/env LAB_SERVER_DIR=${d} ${HOOK}"`,
        `  user 2 true "admin" "${this.bmcPassword}" admin 10 none md2 md5 straight`,
        '',
      ].join('\n'),
    );
    // one BMC management controller with no sensors: enough for chassis power and boot-device requests
    writeFileSync(join(d, 'sim.emu'), ['mc_setbmc 0x20', 'mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr', 'sel_enable 0x20 1000 0x0a', 'mc_enable 0x20', ''].join('\n'));
    mkdirSync(join(d, 'bmc-state'), { recursive: true });
    const out = openSync(join(d, 'ipmi_sim.log'), 'a');
    this.bmc = spawn('ipmi_sim', ['-n', '-c', join(d, 'lan.conf'), '-f', join(d, 'sim.emu'), '-s', join(d, 'bmc-state')], { detached: true, stdio: ['ignore', out, out] });
    await waitFor(`the BMC of ${this.o.name}`, 30_000, async () => ((await this.ipmitool('power', 'status').catch(() => '')).includes('Chassis Power is') ? true : undefined), 500);
  }

  /** ipmitool against this BMC (lanplus, cipher suite 3: ipmi_sim has no suite 17). */
  async ipmitool(...args: string[]): Promise<string> {
    const r = await run('ipmitool', ['-I', 'lanplus', '-C', '3', '-H', '127.0.0.1', '-p', String(this.bmcPort), '-U', 'admin', '-P', this.bmcPassword, ...args], { timeout: 30_000 });
    return r.stdout;
  }

  /** What Ironic needs to reach the BMC (driver_info). */
  driverInfo(): Record<string, string | number> {
    return { ipmi_address: '127.0.0.1', ipmi_port: this.bmcPort, ipmi_username: 'admin', ipmi_password: this.bmcPassword, ipmi_cipher_suite: 3 };
  }

  poweredOn(): boolean {
    const pidFile = join(this.o.dir, 'qemu.pid');
    if (!existsSync(pidFile)) return false;
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 0);
      return true;
    } catch {
      return false;
    }
  }

  /** The console's length now: wait from here for what the next boot prints. */
  consoleMark(): number {
    return statSync(this.console).size;
  }

  consoleText(from = 0): string {
    return readFileSync(this.console).subarray(from).toString('utf8').replace(/\r/g, '');
  }

  /** Waits for the console (from `from`) to match; returns the match and the time it was seen. */
  async waitForConsole(what: string, re: RegExp, timeoutMs: number, from = 0): Promise<{ match: RegExpExecArray; at: number }> {
    return waitFor(what, timeoutMs, async () => {
      const m = re.exec(this.consoleText(from));
      return m ? { match: m, at: Date.now() } : undefined;
    }, 1000);
  }

  /** The BMC's log: one line per request, `<epoch seconds> <event>`. */
  bmcEvents(): { at: number; event: string }[] {
    const f = join(this.o.dir, 'bmc.log');
    if (!existsSync(f)) return [];
    return readFileSync(f, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => ({ at: Number(l.slice(0, l.indexOf(' '))) * 1000, event: l.slice(l.indexOf(' ') + 1) }));
  }

  /**
   * Boots one disk with the others removed, as after a disk failure: the machine off (the BMC not involved), the
   * disk behind a copy-on-write overlay (the real one is not changed), fresh firmware variables (no boot entry:
   * OVMF finds the removable path `EFI/BOOT/BOOTX64.EFI` itself), no NIC. Waits for `re` on this boot's own
   * console, then stops QEMU by its pid; returns the console and the seconds it took.
   */
  async bootDiskAlone(i: number, re: RegExp, timeoutMs: number): Promise<{ console: string; seconds: number }> {
    if (this.poweredOn()) throw new Error(`${this.o.name} is on: boot a disk alone only with the machine off`);
    const dir = join(this.o.dir, `alone-disk${i}`);
    mkdirSync(dir, { recursive: true });
    const overlay = join(dir, 'overlay.qcow2');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', this.disk(i), overlay]);
    const args = ['-name', `${this.o.name}-disk${i}`, '-machine', 'q35', '-accel', 'tcg,thread=multi', '-cpu', 'max', '-smp', '2', '-m', String(this.o.memoryMiB ?? 3072), '-display', 'none', '-vga', 'none', '-nodefaults', '-no-user-config', '-no-reboot', '-device', 'virtio-rng-pci'];
    if (this.o.firmware === 'uefi') {
      copyFileSync('/usr/share/OVMF/OVMF_VARS_4M.fd', join(dir, 'OVMF_VARS.fd'));
      args.push('-drive', 'if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd', '-drive', `if=pflash,format=raw,file=${join(dir, 'OVMF_VARS.fd')}`);
    }
    const consoleFile = join(dir, 'console.log');
    writeFileSync(consoleFile, '');
    args.push('-drive', `file=${overlay},if=none,id=d${i},format=qcow2,cache=unsafe`, '-device', `virtio-blk-pci,drive=d${i},serial=anvil-disk${i},bootindex=1`, '-chardev', `file,id=con,path=${consoleFile}`, '-serial', 'chardev:con');
    const t0 = Date.now();
    const qemu = spawn('qemu-system-x86_64', args, { detached: true, stdio: 'ignore' });
    const text = (): string => readFileSync(consoleFile, 'utf8').replace(/\r/g, '');
    try {
      const seen = await waitFor(`${this.o.name} booting disk${i} alone`, timeoutMs, () => Promise.resolve(re.test(text()) ? 'seen' : qemu.exitCode !== null ? 'ended' : undefined), 1000).catch((err: unknown) => {
        throw new Error(`${err instanceof Error ? err.message : String(err)}; its console ends:\n${text().slice(-3000)}`);
      });
      if (seen === 'ended') throw new Error(`QEMU ended (exit ${String(qemu.exitCode)}) before ${String(re)}:\n${text().slice(-3000)}`);
      return { console: text(), seconds: (Date.now() - t0) / 1000 };
    } finally {
      await stopProcessGroup(qemu);
    }
  }

  /** Powers the machine off (by its pid) and stops the BMC. */
  async stop(): Promise<void> {
    const pidFile = join(this.o.dir, 'qemu.pid');
    if (this.poweredOn()) {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      process.kill(pid, 'SIGKILL');
    }
    await stopProcessGroup(this.bmc);
  }
}
