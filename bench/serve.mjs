/* global process, console */
// A static file server for benchmarks, in its own process so it does not share an event loop with the
// code being measured. Usage: node bench/serve.mjs DIR  → prints the port.
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, normalize } from 'node:path';

const dir = process.argv[2];
/** Per path: whole-file GETs, range GETs and body bytes sent; GET /__stats answers it as JSON. */
const stats = {};
const server = createServer((req, res) => {
  if (req.url === '/__stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    return;
  }
  const path = join(dir, normalize(decodeURIComponent(req.url ?? '/')).replace(/^(\.\.[/\\])+/, ''));
  let size;
  try {
    size = statSync(path).size;
  } catch {
    res.writeHead(404).end();
    return;
  }
  const m = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
  const start = m ? Number(m[1]) : 0;
  const end = m && m[2] ? Number(m[2]) : size - 1;
  res.writeHead(m ? 206 : 200, {
    'content-length': end - start + 1,
    'accept-ranges': 'bytes',
    ...(m ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
  });
  const s = (stats[req.url] ??= { full: 0, range: 0, bytes: 0 });
  if (m) s.range++;
  else s.full++;
  if (req.method === 'HEAD') return void res.end();
  const body = createReadStream(path, { start, end, highWaterMark: 1 << 20 });
  body.on('data', (c) => (s.bytes += c.length));
  body.pipe(res);
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('SIGTERM', () => process.exit(0));
