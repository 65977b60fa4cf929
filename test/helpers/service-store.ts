import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@anvil/shared';
import { openDatabase, type OpenedDatabase } from '../../driver-service/src/store/db';
import { Repository } from '../../driver-service/src/store/repository';

/** A layout as an operator stores it: one GPT disk, a root filesystem, and the placeholders a deploy fills. */
export const LAYOUT = {
  version: 1,
  disks: [{ id: 'd', select: { name: '/dev/sda' }, table: 'gpt', partitions: [{ id: 'root', size: 'remaining' }] }],
  filesystems: [{ id: 'fs', device: 'root', type: 'ext4', mount: { path: '/' } }],
  images: [{ id: 'os', source: { url: '{{image.url}}' }, checksum: '{{image.checksum}}', format: 'tar', target: { path: '/' } }],
  configdrive: { disk: 'd', source: '{{configdrive}}' },
};

/** The layouts the store holds (all of them LAYOUT); `fallback` is the service default. */
export const LAYOUT_NAMES = ['a', 'b', 'from-trait', 'fallback', 'from-image'] as const;

export interface ServiceStore {
  /** The store's data folder (to open it again). */
  readonly dir: string;
  readonly opened: OpenedDatabase;
  readonly repo: Repository;
}

/**
 * A driver-service store of its own in a temporary folder, holding LAYOUT_NAMES: opened before the suite's tests,
 * closed and removed after them. Call it in a describe body; read `opened` and `repo` inside the tests.
 */
export function useServiceStore(): ServiceStore {
  const dir = mkdtempSync(join(tmpdir(), 'anvil-ds-unit-'));
  let opened: OpenedDatabase | undefined;
  let repo: Repository | undefined;
  beforeAll(async () => {
    opened = await openDatabase({ dataDir: dir, log: silentLogger() });
    repo = new Repository(opened.db);
    for (const name of LAYOUT_NAMES) await repo.putLayout({ name, plan: LAYOUT, default: name === 'fallback' });
  });
  afterAll(async () => {
    await opened?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const open = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the store opens in beforeAll: read it inside a test');
    return value;
  };
  return {
    dir,
    get opened() {
      return open(opened);
    },
    get repo() {
      return open(repo);
    },
  };
}
