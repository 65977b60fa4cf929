import { readInstanceInfo, resolveChecksum } from '@anvil/shared/protocol';

const none = (): Promise<string> => Promise.reject(new Error('not expected'));

describe('reading instance_info', () => {
  it('prefers os_hash over image_checksum, and checks the digest’s length', () => {
    expect(readInstanceInfo({ image_source: 'http://i/x', image_os_hash_algo: 'SHA512', image_os_hash_value: 'AB'.repeat(64), image_checksum: 'f'.repeat(32) }).checksum).toEqual({ kind: 'digest', checksum: `sha512:${'ab'.repeat(64)}`, md5: false });
    expect(() => readInstanceInfo({ image_os_hash_algo: 'sha256', image_os_hash_value: 'abc' })).toThrow(expect.objectContaining({ code: 'instance.bad_checksum' }));
    expect(() => readInstanceInfo({ image_os_hash_algo: 'sha1', image_os_hash_value: 'a'.repeat(40) })).toThrow(expect.objectContaining({ code: 'instance.bad_checksum' }));
  });

  it('takes a bare or prefixed digest, or the URL of a checksums file', () => {
    expect(readInstanceInfo({ image_checksum: 'F'.repeat(32) }).checksum).toEqual({ kind: 'digest', checksum: `md5:${'f'.repeat(32)}`, md5: true });
    expect(readInstanceInfo({ image_checksum: `sha256:${'1'.repeat(64)}` }).checksum).toMatchObject({ checksum: `sha256:${'1'.repeat(64)}` });
    expect(readInstanceInfo({ image_checksum: 'https://i/SHA256SUMS' }).checksum).toEqual({ kind: 'file', url: 'https://i/SHA256SUMS' });
    expect(() => readInstanceInfo({ image_checksum: 'abc' })).toThrow(expect.objectContaining({ code: 'instance.bad_checksum' }));
  });

  it('tells URLs, files and Glance images apart; empty strings are unset', () => {
    expect(readInstanceInfo({ image_source: 'https://i/x.img' }).source).toEqual({ kind: 'url', url: 'https://i/x.img' });
    expect(readInstanceInfo({ image_source: 'file:///srv/a%20b.img' }).source).toEqual({ kind: 'file', path: '/srv/a b.img' });
    expect(readInstanceInfo({ image_source: '7f1a4ec4-59b5-4be3-a2e5-17e5a6b1f001' }).source).toEqual({ kind: 'glance', image_id: '7f1a4ec4-59b5-4be3-a2e5-17e5a6b1f001' });
    expect(readInstanceInfo({ image_source: '', configdrive: '', image_disk_format: 'QCOW2' })).toEqual({ partition: false, disk_format: 'qcow2' });
    expect(() => readInstanceInfo({ image_source: 'ftp://x' })).toThrow(expect.objectContaining({ code: 'instance.bad_image_source' }));
  });

  it('resolves a checksums file through the caller’s client', async () => {
    const info = readInstanceInfo({ image_source: 'http://i/os.img', image_checksum: 'http://i/SUMS' });
    await expect(resolveChecksum(info, (url) => Promise.resolve(url === 'http://i/SUMS' ? `${'e'.repeat(128)}  os.img\n` : ''))).resolves.toEqual({ checksum: `sha512:${'e'.repeat(128)}`, md5: false });
    await expect(resolveChecksum(info, () => Promise.resolve('nothing here\n'))).rejects.toMatchObject({ code: 'instance.bad_checksum' });
    await expect(resolveChecksum(readInstanceInfo({}), none)).resolves.toBeUndefined();
  });
});
