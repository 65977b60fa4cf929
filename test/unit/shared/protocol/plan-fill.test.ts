import { fillPlan, hasConfigdrivePlaceholder, PLACEHOLDERS } from '@anvil/shared/protocol';

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
