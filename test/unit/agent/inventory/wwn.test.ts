import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diskMatches } from '@anvil/shared';
import { udevWwn } from '../../../../agent/src/inventory/lsblk';
import { selectorFromHints } from '../../../../agent/src/ramdisk/instance-plan';

describe('WWN hints as Ironic has them', () => {
  it('reads ID_WWN, ID_WWN_WITH_EXTENSION and ID_WWN_VENDOR_EXTENSION from udev’s database', () => {
    const udev = mkdtempSync(join(tmpdir(), 'anvil-udev-'));
    mkdirSync(udev, { recursive: true });
    writeFileSync(join(udev, 'b8:16'), ['S:disk/by-id/wwn-0x6001405aa0b1c2d3', 'E:ID_WWN=0x6001405aa0b1c2d3', 'E:ID_WWN_VENDOR_EXTENSION=0x0000000000000042', 'E:ID_WWN_WITH_EXTENSION=0x6001405aa0b1c2d30000000000000042', 'E:ID_SERIAL=x', ''].join('\n'));
    expect(udevWwn(udev, '8:16')).toEqual({ wwn: '0x6001405aa0b1c2d3', wwn_with_extension: '0x6001405aa0b1c2d30000000000000042', wwn_vendor_extension: '0x0000000000000042' });
    expect(udevWwn(udev, '8:32')).toEqual({}); // no record
    expect(udevWwn(udev, undefined)).toEqual({});
  });

  it('root device hints wwn_with_extension and wwn_vendor_extension select the disk that has them', () => {
    const disks = [
      { name: '/dev/sda', size: 100, wwn: '0x6001405aa0b1c2d3', wwn_with_extension: '0x6001405aa0b1c2d30000000000000042', wwn_vendor_extension: '0x0000000000000042' },
      { name: '/dev/sdb', size: 100, wwn: '0x6001405aa0b1c2d3', wwn_with_extension: '0x6001405aa0b1c2d30000000000000043', wwn_vendor_extension: '0x0000000000000043' },
    ];
    const byExt = selectorFromHints({ wwn_with_extension: '0x6001405aa0b1c2d30000000000000043' });
    expect(disks.filter((d) => diskMatches(byExt, d)).map((d) => d.name)).toEqual(['/dev/sdb']);
    const byVendor = selectorFromHints({ wwn: '0x6001405aa0b1c2d3', wwn_vendor_extension: '0x0000000000000042' });
    expect(disks.filter((d) => diskMatches(byVendor, d)).map((d) => d.name)).toEqual(['/dev/sda']);
    // A disk udev gave no extension to matches no extension hint.
    expect(diskMatches(byExt, { name: '/dev/sdc', size: 100, wwn: '0x6001405aa0b1c2d3' })).toBe(false);
  });
});
