import { Writable } from 'node:stream';

/** Keeps the last `maxBytes` of log output in memory (for log.collect_system_logs). */
export class LogRing extends Writable {
  private chunks: string[] = [];
  private size = 0;

  constructor(private readonly maxBytes = 4 * 1024 * 1024) {
    super();
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const s = chunk.toString();
    this.chunks.push(s);
    this.size += s.length;
    while (this.size > this.maxBytes && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
    cb();
  }

  text(): string {
    return this.chunks.join('');
  }
}
