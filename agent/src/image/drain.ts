import type { Writable } from 'node:stream';

/** Resolves when a full writable can take more, or has closed (a dead reader); leaves no listener behind. */
export function drained(w: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      w.off('drain', done);
      w.off('close', done);
      resolve();
    };
    w.on('drain', done);
    w.on('close', done);
  });
}
