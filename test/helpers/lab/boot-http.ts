import { createWriteStream, type WriteStream } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';

/**
 * The HTTP server of Ironic's [deploy] http_root: boot.ipxe, each node's iPXE script and the deploy kernel and
 * ramdisk Ironic links there. express.static does the ranges and HEADs; every request is logged with its time.
 */
export class BootHttp {
  private server?: Server;
  private log?: WriteStream;
  url = '';

  static async start(root: string, host: string, logFile: string): Promise<BootHttp> {
    const b = new BootHttp();
    b.log = createWriteStream(logFile, { flags: 'a' });
    const app = express();
    app.use((req, res, next) => {
      res.on('finish', () => b.log?.write(`${(Date.now() / 1000).toFixed(3)} ${req.method} ${req.url} ${res.statusCode}\n`));
      next();
    });
    app.use(express.static(root, { dotfiles: 'allow', index: false }));
    await new Promise<void>((resolve) => {
      b.server = app.listen(0, host, () => resolve());
    });
    b.url = `http://${host}:${(b.server!.address() as AddressInfo).port}`;
    return b;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server?.closeAllConnections();
    this.log?.end();
  }
}
