import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { createLogger } from '@anvil/shared';
import type { IronicClient } from '@anvil/shared/openstack';
import { loadConfig, startService, type RunningService } from '../../../driver-service/src';
import { conductorPlugin } from '../conductor-plugin';
import { GlanceServer } from '../glance';
import { freePort, IronicServer, mergeIni, type IniSections } from '../ironic';
import { KeystoneServer } from '../keystone';
import { BootHttp } from './boot-http';
import { Dnsmasq } from './dnsmasq';
import { LAB_ADDR } from './network';

/**
 * Everything an emulated server meets on the lab network, each the real component: Keystone and Glance (the
 * OS image, downloaded by the agent with its one-deploy credential), Ironic 21.4 with the `ipmi` hardware type,
 * the `ipxe` and `pxe` boot interfaces and the `dnsmasq` DHCP provider, dnsmasq itself, the HTTP server of
 * Ironic's http_root, and the driver-service (plans, the bootstrap store, progress). All listen on LAB_ADDR.
 */
export interface LabStackOptions {
  readonly dir?: string;
  /** Extra ironic.conf settings over the lab's. */
  readonly ironic?: IniSections;
}

export class LabStack {
  keystone!: KeystoneServer;
  glance!: GlanceServer;
  ironic!: IronicServer;
  dnsmasq!: Dnsmasq;
  http!: BootHttp;
  service!: RunningService;
  serviceUrl = '';
  readonly bootstrapStore: string;
  readonly serviceLog: string;

  private constructor(readonly dir: string) {
    this.bootstrapStore = join(dir, 'bootstrap-store');
    this.serviceLog = join(dir, 'driver-service.log');
  }

  static async start(o: LabStackOptions = {}): Promise<LabStack> {
    const dir = o.dir ?? mkdtempSync('/var/tmp/anvil-lab-');
    const s = new LabStack(dir);
    try {
      await s.startAll(o);
    } catch (err) {
      await s.stop();
      throw err;
    }
    return s;
  }

  private async startAll(o: LabStackOptions): Promise<void> {
    const httpRoot = join(this.dir, 'httpboot');
    const tftpRoot = join(this.dir, 'tftpboot');
    mkdirSync(httpRoot, { recursive: true });
    mkdirSync(tftpRoot, { recursive: true });
    // Ironic's `pxe` interface hands out pxelinux.0, which loads ldlinux.c32 from the same TFTP root
    copyFileSync('/usr/lib/PXELINUX/pxelinux.0', join(tftpRoot, 'pxelinux.0'));
    copyFileSync('/usr/lib/syslinux/modules/bios/ldlinux.c32', join(tftpRoot, 'ldlinux.c32'));
    this.http = await BootHttp.start(httpRoot, LAB_ADDR, join(this.dir, 'boot-http.log'));
    this.dnsmasq = await Dnsmasq.start(join(this.dir, 'dnsmasq'), tftpRoot);
    this.keystone = await KeystoneServer.start({ host: LAB_ADDR });
    // The service's address is known before Ironic starts: the conductor plugin's [anvil]service_url.
    const port = await freePort();
    const serviceUrl = `http://${LAB_ADDR}:${port}`;
    const lab: IniSections = {
      DEFAULT: {
        my_ip: LAB_ADDR,
        // ipmi with the stock custom-agent (the BIOS server), anvil-ipmi with the conductor plugin (the UEFI server).
        enabled_hardware_types: 'ipmi,anvil-ipmi',
        enabled_boot_interfaces: 'ipxe,pxe',
        enabled_deploy_interfaces: 'custom-agent,direct,anvil',
        enabled_power_interfaces: 'ipmitool',
        enabled_management_interfaces: 'ipmitool',
        enabled_vendor_interfaces: 'ipmitool,no-vendor,anvil-ipmitool,anvil',
        enabled_inspect_interfaces: 'no-inspect',
        enabled_console_interfaces: 'no-console',
        enabled_raid_interfaces: 'no-raid',
        enabled_rescue_interfaces: 'no-rescue',
        enabled_bios_interfaces: 'no-bios',
        default_boot_interface: 'ipxe',
        default_deploy_interface: 'custom-agent',
      },
      api: { ramdisk_heartbeat_timeout: 60 },
      dhcp: { dhcp_provider: 'dnsmasq' },
      dnsmasq: { dhcp_hostsdir: this.dnsmasq.hostsDir, dhcp_optsdir: this.dnsmasq.optsDir, dhcp_leasefile: this.dnsmasq.leaseFile },
      conductor: { automated_clean: true, deploy_callback_timeout: 1800, clean_callback_timeout: 1800, sync_power_state_interval: -1 },
      deploy: { http_url: this.http.url, http_root: httpRoot, default_boot_mode: 'bios', fast_track: false },
      pxe: {
        tftp_server: LAB_ADDR,
        tftp_root: tftpRoot,
        tftp_master_path: join(tftpRoot, 'master_images'),
        // Ironic's command line has no console=: the ramdisk's output goes to the serial console only with it
        kernel_append_params: 'nofb vga=normal console=ttyS0,115200 panic=-1',
      },
      ipmi: { min_command_interval: 1 },
      agent: { deploy_logs_collect: 'always', post_deploy_get_power_state_retries: 30, post_deploy_get_power_state_retry_interval: 2, command_timeout: 120 },
      anvil: { service_url: serviceUrl },
    };
    const [glance, ironic] = await Promise.all([GlanceServer.start(this.keystone, { host: LAB_ADDR }), IronicServer.start({ host: LAB_ADDR, conf: mergeIni(lab, o.ironic), pythonPath: [conductorPlugin()] })]);
    this.glance = glance;
    this.ironic = ironic;
    this.serviceUrl = serviceUrl;
    this.service = await startService(
      loadConfig(undefined, {
        ANVIL_LISTEN_HOST: LAB_ADDR,
        ANVIL_LISTEN_PORT: String(port),
        ANVIL_PUBLIC_URL: this.serviceUrl,
        ANVIL_DATA_DIR: join(this.dir, 'service'),
        ANVIL_IRONIC_URL: this.ironic.url,
        ...this.keystone.driverServiceEnv(),
        ANVIL_BOOTSTRAP_STORE: this.bootstrapStore,
      }),
      { log: createLogger({ name: 'driver-service', level: 'debug', destination: pino.destination({ dest: this.serviceLog, sync: true }) }), watchIntervalMs: 1000 },
    );
  }

  ironicClient(): IronicClient {
    return this.ironic.client();
  }

  /** Copies the logs into `dest` (the CI artefacts): Ironic's logs and deploy-log tarballs, dnsmasq, HTTP, the service. */
  collect(dest: string): void {
    mkdirSync(dest, { recursive: true });
    const copy = (from: string, to: string): void => {
      if (existsSync(from)) cpSync(from, join(dest, to), { recursive: true });
    };
    if (this.ironic) {
      copy(join(this.ironic.dir, 'log'), 'ironic');
      copy(join(this.ironic.dir, 'deploy-logs'), 'deploy-logs');
      copy(this.ironic.confPath, 'ironic/ironic.conf');
    }
    copy(join(this.dir, 'dnsmasq', 'dnsmasq.log'), 'dnsmasq.log');
    copy(join(this.dir, 'boot-http.log'), 'boot-http.log');
    copy(this.serviceLog, 'driver-service.log');
    if (this.glance) copy(join(this.glance.dir, 'log'), 'glance');
  }

  async stop(): Promise<void> {
    await this.service?.close().catch(() => undefined);
    await this.ironic?.stop();
    await this.glance?.stop();
    await this.keystone?.stop();
    await this.dnsmasq?.stop();
    await this.http?.stop();
    if (!process.env.ANVIL_KEEP_IRONIC) rmSync(this.dir, { recursive: true, force: true });
  }
}
