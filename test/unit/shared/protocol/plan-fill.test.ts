import { validatePlan } from '@anvil/shared';
import { fillPlan, hasConfigdrivePlaceholder, PLACEHOLDERS, readInstanceFlavor } from '@anvil/shared/protocol';

const LAYOUT = {
  version: 1,
  images: [
    { id: 'os', source: { url: PLACEHOLDERS.imageUrl }, checksum: PLACEHOLDERS.imageChecksum, format: PLACEHOLDERS.imageFormat, target: { disk: 'd' } },
    { id: 'fixed', source: { url: 'http://i/fixed.img' }, target: { disk: 'd' } },
  ],
  configdrive: { disk: 'd', source: PLACEHOLDERS.configdrive },
};

describe('filling a plan', () => {
  it('fills every placeholder, and marks md5 as allowed', () => {
    const plan = fillPlan(LAYOUT, { image: { url: 'http://i/os.img' }, checksum: `md5:${'a'.repeat(32)}`, configdrive: { meta_data: {} } });
    expect(plan.images).toEqual([{ id: 'os', source: { url: 'http://i/os.img' }, checksum: `md5:${'a'.repeat(32)}`, allow_md5: true, format: 'raw', target: { disk: 'd' } }, LAYOUT.images[1]]);
    expect(plan.configdrive).toEqual({ disk: 'd', source: { meta_data: {} } });
    expect(plan).not.toHaveProperty('metadata');
  });

  it('leaves out an image or config drive with nothing to fill; a masked config drive stays for the agent', () => {
    const plan = fillPlan(LAYOUT, { configdrive: '******' });
    expect(plan.images).toEqual([LAYOUT.images[1]]);
    expect(hasConfigdrivePlaceholder(JSON.stringify(plan))).toBe(true);
    expect(fillPlan(plan, {})).not.toHaveProperty('configdrive');
  });

  it('refuses a plan nested 10,000 deep with plan.too_deep and its pointer, without exceeding the call stack', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const plan = { ...LAYOUT, configdrive: { disk: 'd', source: { meta_data: { x: deep } } } };
    expect(() => fillPlan(plan, {})).toThrow(expect.objectContaining({ code: 'plan.too_deep', details: { pointer: `/configdrive/source/meta_data/x${'/0'.repeat(60)}` } }));
    // Nesting within the bound is filled as before.
    let fine: unknown = PLACEHOLDERS.imageChecksum;
    for (let i = 0; i < 50; i++) fine = [fine];
    const filled = fillPlan({ ...LAYOUT, configdrive: { disk: 'd', source: { meta_data: { x: fine } } } }, { checksum: 'sha256:0' });
    let inner: unknown = (filled.configdrive as { source: { meta_data: { x: unknown } } }).source.meta_data.x;
    for (let i = 0; i < 50; i++) inner = (inner as unknown[])[0];
    expect(inner).toBe('sha256:0');
  });

  it('a Glance grant replaces the source; an unresolved Glance image is an error', () => {
    const glance = { image_id: 'i', endpoint: 'http://g:9292' };
    expect((fillPlan(LAYOUT, { image: { glance } }).images as { source: unknown }[])[0]!.source).toEqual({ glance });
    expect(() => fillPlan(LAYOUT, { unresolvedGlanceImage: 'i' })).toThrow(expect.objectContaining({ code: 'metadata.glance_unresolved' }));
  });

  it('names the node, the deployment and the layout in metadata when told', () => {
    expect(fillPlan({ version: 1, metadata: { description: 'x' } }, {}, { nodeUuid: 'n', deploymentId: 'd', layout: 'l' }).metadata).toEqual({ description: 'x', node_uuid: 'n', deployment_id: 'd', name: 'l' });
  });
});

describe('a layout that reads the flavor (instance_info as Nova writes it)', () => {
  const P = PLACEHOLDERS;
  const FLAVOR_LAYOUT = {
    version: 1,
    policy: { data: P.dataPolicy },
    disks: [
      {
        id: 'd',
        select: { name: '/dev/sda' },
        table: P.diskLabel,
        partitions: [
          { id: 'grub', size: '1MiB', type: 'bios_grub' },
          { id: 'root', size: P.rootSize },
          { id: 'swap', size: P.swapSize, type: 'swap' },
          { id: 'eph', size: P.ephemeralSize, keep: P.preserveEphemeral },
        ],
      },
    ],
    filesystems: [
      { id: 'fs-root', device: 'root', type: 'ext4', mount: { path: '/' } },
      { id: 'fs-swap', device: 'swap', type: 'swap' },
      { id: 'fs-eph', device: 'eph', type: P.ephemeralFormat, label: 'ephemeral0', mount: { path: '/mnt' } },
    ],
    images: [{ id: 'os', source: { url: P.imageUrl }, checksum: P.imageChecksum, format: 'tar', target: { path: '/' } }],
    bootloader: { firmware: P.bootMode, targets: ['d'] },
  };
  const image = { image: { url: 'http://i/os.tar' }, checksum: `sha256:${'b'.repeat(64)}` } as const;
  const inventory = { disks: [{ name: '/dev/sda', size: 40 * 2 ** 30 }] };

  it('sizes root, swap and ephemeral from the flavor, and takes boot mode, disk label and the ephemeral format from it', () => {
    const flavor = readInstanceFlavor({ root_gb: '10', swap_mb: '1024', ephemeral_gb: '20', ephemeral_format: 'xfs', capabilities: '{"boot_mode": "bios", "disk_label": "msdos"}' });
    const plan = fillPlan(FLAVOR_LAYOUT, { ...image, instance: flavor });
    expect(plan.disks).toEqual([expect.objectContaining({ table: 'msdos', partitions: [expect.objectContaining({ id: 'grub' }), { id: 'root', size: '10GiB' }, { id: 'swap', size: '1024MiB', type: 'swap' }, { id: 'eph', size: '20GiB', keep: false }] })]);
    expect((plan.filesystems as Array<{ type: string }>).map((f) => f.type)).toEqual(['ext4', 'swap', 'xfs']);
    expect(plan.bootloader).toEqual({ firmware: 'bios', targets: ['d'] });
    // The same flavor on GPT makes a valid plan for a 40 GiB disk.
    const gpt = fillPlan(FLAVOR_LAYOUT, { ...image, instance: { ...flavor, diskLabel: 'gpt' } });
    const report = validatePlan(JSON.stringify(gpt), { inventory }).report;
    expect(report.entries.filter((e) => e.severity === 'error')).toEqual([]);
  });

  it('leaves out a swap and an ephemeral disk the flavor does not have, with their file systems; defaults are auto firmware, GPT and ext4', () => {
    const plan = fillPlan(FLAVOR_LAYOUT, { ...image, instance: readInstanceFlavor({ root_gb: 8, swap_mb: 0 }) });
    expect((plan.disks as Array<{ partitions: Array<{ id: string }>; table: string }>)[0]!.partitions.map((p) => p.id)).toEqual(['grub', 'root']);
    expect((plan.filesystems as Array<{ id: string }>).map((f) => f.id)).toEqual(['fs-root']);
    expect(plan.bootloader).toEqual({ firmware: 'auto', targets: ['d'] });
    expect((plan.disks as Array<{ table: string }>)[0]!.table).toBe('gpt');
    expect(validatePlan(JSON.stringify(plan), { inventory }).report.entries.filter((e) => e.severity === 'error')).toEqual([]);
  });

  it('keeps the ephemeral disk on a rebuild with preserve_ephemeral, and takes boot_mode from the node when the flavor has none', () => {
    const flavor = readInstanceFlavor({ root_gb: '8', ephemeral_gb: '4', preserve_ephemeral: 'True' }, { capabilities: 'boot_mode:uefi,disk_label:gpt' });
    expect(flavor).toEqual({ rootGiB: 8, ephemeralGiB: 4, preserveEphemeral: true, bootMode: 'uefi', diskLabel: 'gpt' });
    const plan = fillPlan(FLAVOR_LAYOUT, { ...image, instance: flavor });
    expect((plan.disks as Array<{ partitions: Array<{ id: string; keep?: unknown }> }>)[0]!.partitions.find((p) => p.id === 'eph')).toEqual({ id: 'eph', size: '4GiB', keep: true });
    // Keeping needs the disks to hold this layout already: the data policy follows preserve_ephemeral.
    expect(plan.policy).toEqual({ data: 'verify' });
    expect(fillPlan(FLAVOR_LAYOUT, { ...image, instance: { ...flavor, preserveEphemeral: false } }).policy).toEqual({ data: 'clean' });
    // The flavor's capabilities win over the node's.
    expect(readInstanceFlavor({ capabilities: { boot_mode: 'bios' } }, { capabilities: 'boot_mode:uefi' }).bootMode).toBe('bios');
  });

  it('refuses a layout that needs root_gb when instance_info has none, with the placeholder’s pointer; and bad flavor values with instance.bad_field', () => {
    expect(() => fillPlan(FLAVOR_LAYOUT, { ...image, instance: {} })).toThrow(expect.objectContaining({ code: 'metadata.instance_value_missing', details: { pointer: '/disks/0/partitions/1/size' } }));
    expect(() => readInstanceFlavor({ root_gb: 'ten' })).toThrow(expect.objectContaining({ code: 'instance.bad_field', message: expect.stringContaining('root_gb') }));
    expect(() => readInstanceFlavor({ swap_mb: -1 })).toThrow(expect.objectContaining({ code: 'instance.bad_field' }));
    expect(() => readInstanceFlavor({ capabilities: '{"boot_mode": "legacy"}' })).toThrow(expect.objectContaining({ code: 'instance.bad_field', message: expect.stringContaining('bios or uefi') }));
    expect(() => readInstanceFlavor({ capabilities: '{not json' })).toThrow(expect.objectContaining({ code: 'instance.bad_field' }));
  });
});
