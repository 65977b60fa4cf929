import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopProcessGroup, waitFor } from '../ironic';
import { LAB_BRIDGE } from './network';

/**
 * dnsmasq as Ironic's `dnsmasq` DHCP provider expects it: DHCP on the lab bridge for the MACs Ironic enrolled
 * (Ironic writes one host file per port into hostsdir and one options file per node into optsdir; dnsmasq reads
 * them through inotify, no signal needed), TFTP from Ironic's tftp_root, router advertisements for the ULA prefix.
 */
export class Dnsmasq {
  private proc?: ChildProcess;

  private constructor(
    readonly dir: string,
    readonly tftpRoot: string,
  ) {}

  get hostsDir(): string {
    return join(this.dir, 'hostsdir');
  }

  get optsDir(): string {
    return join(this.dir, 'optsdir');
  }

  get leaseFile(): string {
    return join(this.dir, 'leases');
  }

  get logFile(): string {
    return join(this.dir, 'dnsmasq.log');
  }

  static async start(dir: string, tftpRoot: string): Promise<Dnsmasq> {
    const d = new Dnsmasq(dir, tftpRoot);
    for (const sub of [d.hostsDir, d.optsDir, tftpRoot]) mkdirSync(sub, { recursive: true });
    const args = [
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--port=0',
      '--user=root',
      '--group=root',
      `--interface=${LAB_BRIDGE}`,
      '--bind-interfaces',
      '--dhcp-range=10.213.7.100,10.213.7.199,255.255.255.0,1h',
      `--dhcp-leasefile=${d.leaseFile}`,
      '--dhcp-authoritative',
      `--dhcp-hostsdir=${d.hostsDir}`,
      `--dhcp-optsdir=${d.optsDir}`,
      // iPXE says so in option 175; Ironic's options files give it boot.ipxe instead of a boot file to chain
      '--dhcp-match=set:ipxe,175',
      // only the MACs Ironic has a host file for
      '--dhcp-ignore=tag:!known',
      '--enable-tftp',
      `--tftp-root=${tftpRoot}`,
      '--enable-ra',
      '--dhcp-range=fd42:213:7::,ra-only,64',
      '--log-dhcp',
      `--log-facility=${d.logFile}`,
    ];
    d.proc = spawn('dnsmasq', args, { detached: true, stdio: 'ignore' });
    await waitFor('dnsmasq', 20_000, async () => {
      if (d.proc?.exitCode !== null) throw new Error(`dnsmasq exited (${String(d.proc?.exitCode)}): ${d.log().slice(-1000)}`);
      return /started, version/.test(d.log()) ? true : undefined;
    }, 200);
    return d;
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  async stop(): Promise<void> {
    await stopProcessGroup(this.proc);
  }
}
