import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { arch, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { introspectionData } from '../../../../agent/src/inventory/hardware';

describe('the inspection data (IPA’s inventory format)', () => {
  it('reports physical NICs, IPA’s root disk (the smallest of at least 4 GiB), and Ironic’s names for the CPU', () => {
    const sys = mkdtempSync(join(tmpdir(), 'anvil-sys-'));
    const nic = (name: string, mac: string, device: boolean): void => {
      mkdirSync(join(sys, 'class/net', name, ...(device ? ['device'] : [])), { recursive: true });
      writeFileSync(join(sys, 'class/net', name, 'address'), `${mac}\n`);
      writeFileSync(join(sys, 'class/net', name, 'carrier'), '1\n');
      if (device) writeFileSync(join(sys, 'class/net', name, 'device/vendor'), '0x8086\n');
    };
    nic('eno1', '52:54:00:AA:00:01', true);
    nic('br0', '52:54:00:aa:00:02', false); // a bridge: no device
    mkdirSync(join(sys, 'class/dmi/id'), { recursive: true });
    writeFileSync(join(sys, 'class/dmi/id/sys_vendor'), 'QEMU\n');
    const GiB = 1024 ** 3;
    const data = introspectionData({ disks: [{ name: '/dev/sda', size: 2 * GiB }, { name: '/dev/sdb', size: String(16 * GiB), serial: 'S2', rotational: true }, { name: '/dev/nvme0n1', size: 8 * GiB, wwn: '0x5000' }] }, { bootMac: '52:54:00:aa:00:01', firmware: 'uefi', sysRoot: sys });
    expect(data.inventory.interfaces).toEqual([expect.objectContaining({ name: 'eno1', mac_address: '52:54:00:aa:00:01', has_carrier: true, vendor: '0x8086' })]);
    expect(data.root_disk?.name).toBe('/dev/nvme0n1');
    expect(data.inventory.disks[1]).toMatchObject({ name: '/dev/sdb', size: 16 * GiB, serial: 'S2', rotational: true });
    expect(data.inventory.cpu).toMatchObject({ count: cpus().length, architecture: arch() === 'x64' ? 'x86_64' : expect.any(String) });
    expect(data.inventory.boot).toEqual({ current_boot_mode: 'uefi', pxe_interface: '52:54:00:aa:00:01' });
    expect(data.inventory.system_vendor.manufacturer).toBe('QEMU');
    expect(data.boot_interface).toBe('52:54:00:aa:00:01');
  });
});
