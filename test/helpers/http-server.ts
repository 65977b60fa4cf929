import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Fault {
  /** Drop the connection after this many bytes of each response body, for the first `drops` responses. */
  dropAfter?: number;
  drops?: number;
  /** Serve fewer bytes than Content-Length says, every time. */
  truncateTo?: number;
  /** Bytes per second (bounded: tests keep images small). */
  rateBps?: number;
  /**
   * Range requests only (qemu-img's): send this many bytes of the first `stalls` responses, then nothing more,
   * keeping the connection open until the server stops — a peer that hangs without closing.
   */
  stallAfter?: number;
  stalls?: number;
  /** Which requests stall: range requests (default: qemu-img's reads), or whole-file GETs (the streamer's one pass). */
  stallOn?: 'range' | 'full';
  /** Requests of that kind served in full before the stalls begin. */
  stallSkip?: number;
}

export interface Hit {
  path: string;
  method: string;
  range?: string;
}

/** A loopback HTTP file server with Range support and injected faults, for image tests. */
export class FileServer {
  readonly hits: Hit[] = [];
  private readonly files = new Map<string, { file: string; fault?: Fault }>();
  private server: Server | undefined;
  private base = '';

  add(path: string, file: string, fault?: Fault): string {
    this.files.set(path, { file, ...(fault ? { fault } : {}) });
    return `${this.base}${path}`;
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  /** `host`: where it listens (the lab's address for images the emulated servers download), 127.0.0.1 by default. */
  /**
   * `keepAliveMs`: how long an idle keep-alive connection stays open before the server closes it (Node's
   * default is 5 s; nginx's 75 s, many CDNs a few seconds).
   */
  async start(host = '127.0.0.1', options: { keepAliveMs?: number } = {}): Promise<void> {
    this.server = createServer((req, res) => {
      const entry = this.files.get(req.url ?? '');
      this.hits.push({ path: req.url ?? '', method: req.method ?? 'GET', ...(req.headers.range ? { range: req.headers.range } : {}) });
      if (!entry) {
        res.writeHead(404).end();
        return;
      }
      const size = statSync(entry.file).size;
      let start = 0;
      let last = size - 1;
      const m = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
      if (m) {
        start = Number(m[1]);
        if (m[2]) last = Math.min(last, Number(m[2]));
        if (start >= size) {
          res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
          return;
        }
      }
      const headers: Record<string, string | number> = { 'content-length': last - start + 1, 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' };
      if (m) headers['content-range'] = `bytes ${start}-${last}/${size}`;
      res.writeHead(m ? 206 : 200, headers);
      if (req.method === 'HEAD') {
        res.end(); // headers only (Ironic checks image URLs with HEAD when it validates a deploy)
        return;
      }
      const f = entry.fault;
      const stallHere = (f?.stallOn ?? 'range') === 'range' ? req.headers.range !== undefined : req.headers.range === undefined;
      if (f?.stallAfter !== undefined && stallHere && (f.stallSkip ?? 0) > 0) f.stallSkip = f.stallSkip! - 1;
      else if (f?.stallAfter !== undefined && stallHere && (f.stalls ?? 1) > 0) {
        f.stalls = (f.stalls ?? 1) - 1;
        createReadStream(entry.file, { start, end: Math.min(last, start + f.stallAfter - 1) }).pipe(res, { end: false });
        return; // and never another byte (stop() closes the connection)
      }
      let end = last;
      let drop = false;
      if (f?.truncateTo !== undefined) end = Math.min(end, f.truncateTo - 1);
      if (f?.dropAfter !== undefined && (f.drops ?? 1) > 0) {
        end = Math.min(end, start + f.dropAfter - 1);
        f.drops = (f.drops ?? 1) - 1;
        drop = true;
      }
      if (start > end) {
        res.socket?.destroy(); // nothing more to send: the connection drops
        return;
      }
      const stream = createReadStream(entry.file, { start, end, highWaterMark: 64 * 1024 });
      const finish = (): void => {
        if (drop || f?.truncateTo !== undefined) res.socket?.destroy();
        else res.end();
      };
      if (!f?.rateBps) {
        stream.pipe(res, { end: false });
        stream.on('end', finish);
        return;
      }
      // Paced: each chunk is followed by the pause that keeps the average at rateBps.
      const rate = f.rateBps;
      void (async () => {
        try {
          for await (const chunk of stream) {
            if (res.destroyed) break;
            if (!res.write(chunk)) {
              await new Promise<void>((resolve) => {
                const done = (): void => {
                  res.off('drain', done);
                  res.off('close', done);
                  resolve();
                };
                res.on('drain', done).on('close', done);
              });
            }
            await new Promise((r) => setTimeout(r, ((chunk as Buffer).length * 1000) / rate));
          }
          finish();
        } catch {
          res.destroy();
        }
      })();
    });
    if (options.keepAliveMs !== undefined) this.server.keepAliveTimeout = options.keepAliveMs;
    await new Promise<void>((resolve) => this.server!.listen(0, host, resolve));
    this.base = `http://${host}:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
