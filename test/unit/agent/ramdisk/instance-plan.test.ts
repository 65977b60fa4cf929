import { validatePlan } from '@anvil/shared';
import { pickFromChecksumFile, planFromInstanceInfo, selectorFromHints } from '../../../../agent/src/ramdisk/instance-plan';
import { inventory, log } from '../../../helpers/ramdisk';

describe('plans from instance_info', () => {
  it('maps root device hints to a selector', () => {
    expect(selectorFromHints({ serial: 's== ABC', size: '>= 100', rotational: 'false' })).toEqual({ serial: 's== ABC', size: '>= 100', rotational: false });
    expect(() => selectorFromHints({ partition_uuid: 'x' })).toThrow(expect.objectContaining({ code: 'instance.root_device_hint' }));
  });

  it('finds the image in a checksums file', () => {
    const text = `${'a'.repeat(64)}  other.img\n${'b'.repeat(64)} *disk.img\n`;
    expect(pickFromChecksumFile(text, 'http://h/images/disk.img')).toBe('b'.repeat(64));
    expect(pickFromChecksumFile(`${'c'.repeat(64)}\n`, 'http://h/x.img')).toBe('c'.repeat(64));
    expect(pickFromChecksumFile(text, 'http://h/none.img')).toBeUndefined();
  });

  it('writes the whole-disk image to the smallest disk of at least 4 GiB, with the config drive, and the plan validates', async () => {
    const plan = await planFromInstanceInfo(
      { image_source: 'https://images/os.img', image_os_hash_algo: 'sha512', image_os_hash_value: 'AB'.repeat(64), image_disk_format: 'qcow2', configdrive: 'http://meta/configdrive' },
      '1be26c0b-03f2-4d2e-ae87-c02d7f33c123',
      inventory,
      log,
    );
    expect(plan).toMatchObject({
      disks: [{ id: 'root', select: { name: '/dev/nvme0n1' }, table: 'none' }],
      images: [{ source: { url: 'https://images/os.img' }, checksum: `sha512:${'ab'.repeat(64)}`, format: 'qcow2', target: { disk: 'root' } }],
      configdrive: { disk: 'root', source: 'http://meta/configdrive' },
    });
    expect(validatePlan(JSON.stringify(plan), { inventory }).report.valid).toBe(true);
  });

  it('takes a legacy md5 image_checksum only with allow_md5, and refuses Glance UUIDs and partition images clearly', async () => {
    const md5 = await planFromInstanceInfo({ image_source: 'http://i/x.img', image_checksum: 'f83e7ea6f12b4529e6174d15928df726', root_device: { name: '/dev/sdb' } }, undefined, inventory, log);
    expect((md5.images as Record<string, unknown>[])[0]).toMatchObject({ checksum: 'md5:f83e7ea6f12b4529e6174d15928df726', allow_md5: true });
    await expect(planFromInstanceInfo({ image_source: '7f1a4ec4-59b5-4be3-a2e5-17e5a6b1f001' }, undefined, inventory, log)).rejects.toMatchObject({ code: 'instance.glance_image' });
    await expect(planFromInstanceInfo({ image_source: 'http://i/x.img', image_type: 'partition' }, undefined, inventory, log)).rejects.toMatchObject({ code: 'instance.partition_image' });
    await expect(planFromInstanceInfo({}, undefined, inventory, log)).rejects.toMatchObject({ code: 'instance.no_plan' });
  });
});
