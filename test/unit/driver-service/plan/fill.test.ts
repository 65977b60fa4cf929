import { AnvilError } from '@anvil/shared';
import { fillLayout, SAMPLE_GRANT, valuesFromInstanceInfo, withGlanceImage } from '../../../../driver-service/src/plan/fill';
import { LAYOUT } from '../../../helpers/service-store';

const meta = { nodeUuid: 'n-1', deploymentId: 'dep-1', layout: 'l' };
const noFile = (): Promise<string> => Promise.reject(new Error('no checksums file expected'));

describe('filling a layout for one deploy', () => {
  it('takes the image, checksum and config drive from instance_info', async () => {
    const v = await valuesFromInstanceInfo({ image_source: 'http://i/root.tgz', image_os_hash_algo: 'SHA256', image_os_hash_value: 'AB'.repeat(32), configdrive: { meta_data: { a: 1 } } }, noFile);
    const plan = fillLayout(LAYOUT, v, meta);
    expect(plan.images).toEqual([{ id: 'os', source: { url: 'http://i/root.tgz' }, checksum: `sha256:${'ab'.repeat(32)}`, format: 'tar', target: { path: '/' } }]);
    expect(plan.configdrive).toEqual({ disk: 'd', source: { meta_data: { a: 1 } } });
    expect(plan.metadata).toEqual({ node_uuid: 'n-1', deployment_id: 'dep-1', name: 'l' });
  });

  it('leaves out what has nothing to fill, keeps a masked config drive for the agent, and marks md5 as allowed', async () => {
    expect(fillLayout(LAYOUT, {}, meta)).not.toHaveProperty('images');
    expect(fillLayout(LAYOUT, {}, meta)).not.toHaveProperty('configdrive');
    const masked = fillLayout(LAYOUT, await valuesFromInstanceInfo({ image_source: 'http://i/x', image_checksum: 'f83e7ea6f12b4529e6174d15928df726', configdrive: '******' }, noFile), meta);
    expect(masked.configdrive).toEqual({ disk: 'd', source: '{{configdrive}}' });
    expect((masked.images as Record<string, unknown>[])[0]).toMatchObject({ checksum: 'md5:f83e7ea6f12b4529e6174d15928df726', allow_md5: true });
  });

  it('a Glance image: its checksum and format fill what instance_info left open, and the grant replaces the URL source', async () => {
    const v = await valuesFromInstanceInfo({ image_source: '7f1a4ec4-59b5-4be3-a2e5-17e5a6b1f001' }, noFile);
    expect(v).toEqual({ unresolvedGlanceImage: '7f1a4ec4-59b5-4be3-a2e5-17e5a6b1f001' });
    expect(() => fillLayout(LAYOUT, v, meta)).toThrow(expect.objectContaining({ code: 'metadata.glance_unresolved' }));
    const withImage = withGlanceImage(v, { os_hash_algo: 'SHA512', os_hash_value: 'AB'.repeat(64), checksum: 'f'.repeat(32), disk_format: 'qcow2' }, SAMPLE_GRANT);
    expect(withImage).toMatchObject({ checksum: `sha512:${'ab'.repeat(64)}`, format: 'qcow2' });
    expect(withGlanceImage({ ...v, checksum: 'sha256:' + '1'.repeat(64), format: 'raw' }, { os_hash_algo: 'sha512', os_hash_value: 'a', disk_format: 'qcow2' }, SAMPLE_GRANT)).toMatchObject({ checksum: 'sha256:' + '1'.repeat(64), format: 'raw' });
    expect(withGlanceImage(v, { checksum: 'F'.repeat(32) }, SAMPLE_GRANT).checksum).toBe(`md5:${'f'.repeat(32)}`);
    const filled = fillLayout(LAYOUT, withImage, meta);
    const image = (filled.images as Record<string, unknown>[])[0]!;
    expect(image.source).toEqual({ glance: SAMPLE_GRANT });
    expect(image.checksum).toBe(`sha512:${'ab'.repeat(64)}`);
  });

  it('follows an image_checksum that names a checksums file (Ironic\'s standalone mode), as the agent does', async () => {
    const read = (url: string): Promise<string> => Promise.resolve(url === 'http://i/SHA256SUMS' ? `${'c'.repeat(64)}  root.tgz\n${'d'.repeat(64)}  other\n` : '');
    const v = await valuesFromInstanceInfo({ image_source: 'http://i/root.tgz', image_checksum: 'http://i/SHA256SUMS' }, read);
    expect(v.checksum).toBe(`sha256:${'c'.repeat(64)}`);
    await expect(valuesFromInstanceInfo({ image_source: 'http://i/missing.tgz', image_checksum: 'http://i/SHA256SUMS' }, read)).rejects.toMatchObject({ code: 'instance.bad_checksum' });
    await expect(valuesFromInstanceInfo({ image_source: 'http://i/x', image_checksum: 'nonsense' }, noFile)).rejects.toBeInstanceOf(AnvilError);
    await expect(valuesFromInstanceInfo({ image_source: 'http://i/x', image_os_hash_algo: 'sha256', image_os_hash_value: 'ab' }, noFile)).rejects.toMatchObject({ code: 'instance.bad_checksum' });
  });

  it('a file:// image fills the source as a file', async () => {
    const plan = fillLayout(LAYOUT, await valuesFromInstanceInfo({ image_source: 'file:///srv/root.tgz' }, noFile), meta);
    expect((plan.images as Record<string, unknown>[])[0]!.source).toEqual({ file: '/srv/root.tgz' });
  });
});
