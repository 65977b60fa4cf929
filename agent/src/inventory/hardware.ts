import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { arch, cpus, hostname, networkInterfaces, totalmem } from 'node:os';
import { join } from 'node:path';
import type { InventoryT } from '@anvil/shared';

/*
 * The machine described the way Ironic's world expects it: IPA's hardware inventory (`inventory` of the
 * introspection data ironic-inspector's /v1/continue takes — interfaces, cpu, memory, disks, bmc_address,
 * system_vendor, boot), built from sysfs and Node's os module, with the disks Anvil's lsblk inventory read.
 * Field names and units are IPA's (sizes in bytes, memory physical_mb in MiB), so inspector's hooks
 * (scheduler, root disk selection, validate_interfaces) read it as they read IPA's.
 */

export interface IpaInterface {
  name: string;
  mac_address: string;
  ipv4_address: string | null;
  ipv6_address: string | null;
  has_carrier: boolean;
  speed_mbps: number | null;
  vendor: string | null;
  product: string | null;
  lldp: null;
}

export interface IpaInventory {
  interfaces: IpaInterface[];
  cpu: { model_name: string | null; frequency: string | null; count: number; architecture: string; flags: string[] };
  memory: { total: number; physical_mb: number };
  disks: Array<{ name: string; model: string | null; size: number; rotational: boolean; wwn: string | null; serial: string | null; vendor: string | null; wwn_with_extension: string | null; wwn_vendor_extension: string | null; hctl: string | null; by_path: string | null }>;
  bmc_address: string;
  bmc_v6address: string;
  system_vendor: { product_name: string | null; serial_number: string | null; manufacturer: string | null };
  boot: { current_boot_mode: 'uefi' | 'bios'; pxe_interface: string | null };
  hostname: string;
}

/** What /v1/continue takes: the inventory, the PXE interface, and the root disk IPA would pick. */
export interface IntrospectionData {
  inventory: IpaInventory;
  boot_interface: string | null;
  root_disk: IpaInventory['disks'][number] | null;
}

const read = (p: string): string | null => {
  try {
    return readFileSync(p, 'utf8').trim() || null;
  } catch {
    return null;
  }
};

/** Node's architecture names as the kernel (and Ironic's cpu_arch) spells them. */
const ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i686', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

function interfaces(sys: string): IpaInterface[] {
  const addrs = networkInterfaces();
  const dir = join(sys, 'class/net');
  const names = existsSync(dir) ? readdirSync(dir) : [];
  return names
    .filter((n) => n !== 'lo' && existsSync(join(dir, n, 'device'))) // physical NICs: the ones with a device
    .map((n) => {
      const a = addrs[n] ?? [];
      const speed = Number(read(join(dir, n, 'speed')));
      return {
        name: n,
        mac_address: (read(join(dir, n, 'address')) ?? '').toLowerCase(),
        ipv4_address: a.find((x) => x.family === 'IPv4')?.address ?? null,
        ipv6_address: a.find((x) => x.family === 'IPv6' && !x.address.startsWith('fe80'))?.address ?? null,
        has_carrier: read(join(dir, n, 'carrier')) === '1',
        speed_mbps: Number.isFinite(speed) && speed > 0 ? speed : null,
        vendor: read(join(dir, n, 'device/vendor')),
        product: read(join(dir, n, 'device/device')),
        lldp: null,
      };
    })
    .filter((i) => /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(i.mac_address));
}

/** IPA's default root disk: the smallest disk of at least 4 GiB. */
const ROOT_MIN = 4 * 1024 ** 3;

export function introspectionData(disks: InventoryT, o: { bootMac?: string; firmware: 'uefi' | 'bios'; sysRoot?: string }): IntrospectionData {
  const sys = o.sysRoot ?? '/sys';
  const list = cpus();
  const flags = (read('/proc/cpuinfo') ?? '').match(/^flags\s*:\s*(.*)$/m)?.[1]?.split(/\s+/).filter(Boolean) ?? [];
  const ifaces = interfaces(sys);
  const ipaDisks = disks.disks.map((d) => ({
    name: d.name,
    model: d.model ?? null,
    size: Number(d.size),
    rotational: d.rotational ?? false,
    wwn: d.wwn ?? null,
    serial: d.serial ?? null,
    vendor: d.vendor ?? null,
    wwn_with_extension: d.wwn_with_extension ?? null,
    wwn_vendor_extension: d.wwn_vendor_extension ?? null,
    hctl: d.hctl ?? null,
    by_path: d.by_path?.[0] ?? null,
  }));
  const root = [...ipaDisks].filter((d) => d.size >= ROOT_MIN).sort((a, b) => a.size - b.size)[0] ?? null;
  const dmi = (f: string): string | null => read(join(sys, 'class/dmi/id', f));
  return {
    inventory: {
      interfaces: ifaces,
      cpu: { model_name: list[0]?.model ?? null, frequency: list[0]?.speed ? String(list[0].speed) : null, count: list.length, architecture: ARCH[arch()] ?? arch(), flags },
      memory: { total: totalmem(), physical_mb: Math.ceil(totalmem() / 1048576) },
      disks: ipaDisks,
      // No BMC is read from inside (ipmitool is not in the bootstrap): inspector finds the node by its MACs.
      bmc_address: '0.0.0.0',
      bmc_v6address: '::/0',
      system_vendor: { product_name: dmi('product_name'), serial_number: dmi('product_serial'), manufacturer: dmi('sys_vendor') },
      boot: { current_boot_mode: o.firmware, pxe_interface: o.bootMac ?? null },
      hostname: hostname(),
    },
    boot_interface: o.bootMac ?? null,
    root_disk: root,
  };
}
