import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { ImageSpec } from '@anvil/shared';
import { writeConfigTree } from '../configdrive/build';
import { fetchConfigdrive } from '../configdrive/fetch';
import { writeImageToPartition } from '../configdrive/write';
import { tableLabel } from '../disk/label';
import { toolExists } from '../system/runner';
import { isMounted, offloadsWriteZeroes, type ConditionEnv } from './conditions';
import { extractTar, streamImageToDevice, writeQcow2, type ImageDeps } from '../image/pipeline';

/**
 * The byte work handlers do in process: streaming images, writing a config drive into its partition, reading
 * a device's first bytes. Processes still come only from the action (through `deps.pipe`); a unit test swaps
 * this for a recorder so that no test opens a real device.
 */
export interface ImageIo {
  writeImage(image: ImageSpec, device: string, deps: ImageDeps, limit: number): Promise<void>;
  extractTar(image: ImageSpec, dir: string, deps: ImageDeps): Promise<void>;
  fetchConfigdrive: typeof fetchConfigdrive;
  writeConfigTree: typeof writeConfigTree;
  writePartition(image: Buffer, device: string, partitionBytes: number): Promise<void>;
  readHead(device: string, bytes: number): Promise<Buffer>;
  readFile(path: string): Promise<Buffer>;
  /** What conditions ask of the machine. */
  readonly machine: Pick<ConditionEnv, 'exists' | 'mounted' | 'hasTool' | 'tableOf' | 'writeZeroes'>;
}

export const systemImageIo: ImageIo = {
  async writeImage(image, device, deps, limit) {
    if ((image.format ?? 'raw') === 'qcow2') await writeQcow2(image, device, deps, limit);
    else await streamImageToDevice(image, device, deps, limit);
  },
  async extractTar(image, dir, deps) {
    await extractTar(image, dir, deps);
  },
  fetchConfigdrive,
  writeConfigTree,
  writePartition: writeImageToPartition,
  async readHead(device, bytes) {
    const buf = Buffer.alloc(bytes);
    const fh = await open(device, 'r');
    try {
      await fh.read(buf, 0, bytes, 0);
    } finally {
      await fh.close();
    }
    return buf;
  },
  async readFile(path) {
    const { readFile } = await import('node:fs/promises');
    return readFile(path);
  },
  machine: { exists: existsSync, mounted: isMounted, hasTool: toolExists, tableOf: tableLabel, writeZeroes: offloadsWriteZeroes },
};
