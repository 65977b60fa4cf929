import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { checkLayout, type LayoutCheck } from './check';

/**
 * Bodies up to this size are checked on the event loop: a layout of a few disks takes a few milliseconds, less than
 * handing it to the worker. Above it (a body may be 2 MiB: routes/bodies.ts), parsing, filling and validating take
 * from tens of milliseconds to about a second, so they run in the worker thread.
 */
export const INLINE_BYTES = 64 * 1024;

type Answer = { id: number; result: LayoutCheck } | { id: number; failed: string };

/**
 * Checks layout bodies (./check.ts) in one worker thread, started on the first large body and kept (unref'd: it
 * does not hold the process open). Checks queue in the worker, one at a time, so layouts written at once cost one
 * core; a worker that dies fails what it held and a new one starts for the next body.
 */
export class LayoutChecker {
  private worker: Worker | undefined;
  private next = 0;
  private readonly pending = new Map<number, { resolve: (r: LayoutCheck) => void; reject: (e: Error) => void }>();

  constructor(private readonly inlineBytes = INLINE_BYTES) {}

  check(text: unknown, name: string): Promise<LayoutCheck> {
    if (typeof text !== 'string' || text.length <= this.inlineBytes) return Promise.resolve(checkLayout(text, name));
    const worker = this.start();
    const id = ++this.next;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, text, name });
    });
  }

  /** Stops the worker (the service's close). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(join(__dirname, 'worker.cjs'));
    worker.on('message', (a: Answer) => {
      const p = this.pending.get(a.id);
      if (!p) return;
      this.pending.delete(a.id);
      if ('result' in a) p.resolve(a.result);
      else p.reject(new Error(`the layout check failed: ${a.failed}`));
    });
    const fail = (err: Error): void => {
      if (this.worker === worker) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the layout check worker exited (${code})`)));
    // After the listeners (adding one refs the thread again): an idle worker does not hold the process open.
    worker.unref();
    this.worker = worker;
    return worker;
  }
}
