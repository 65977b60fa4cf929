import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '@anvil/shared';
import { CAPABILITY_HEADER, ProgressReport } from '@anvil/shared/protocol';
import { HttpReporter } from '../../../../agent/src/report/http';

/** A service stand-in on 127.0.0.1 that keeps every report body it is sent. */
async function progressSink(): Promise<{ bodies: unknown[]; server: Server; url: string }> {
  const bodies: unknown[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(text));
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { bodies, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/nodes/n/vendor_passthru/progress` };
}

describe('the HTTP reporter', () => {
  it('posts batches the service’s schema accepts, with the capability in its header; byte progress only the latest', async () => {
    const got: { header: string | undefined; body: unknown }[] = [];
    const server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        got.push({ header: req.headers[CAPABILITY_HEADER] as string | undefined, body: JSON.parse(text) });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/nodes/n/vendor_passthru/progress`;
    const reporter = new HttpReporter({ url, capability: 'sekrit' }, silentLogger(), 60_000);
    reporter.emit({ type: 'stage', seq: 1, total: 1, kind: 'write_image', id: 'os', status: 'start' });
    reporter.emit({ type: 'progress', seq: 1, id: 'os', bytes: 1, rate_bps: 1 });
    reporter.emit({ type: 'progress', seq: 1, id: 'os', bytes: 2, rate_bps: 1 });
    reporter.emit({ type: 'done', result: 'ok', duration_ms: 5 });
    await reporter.drain();
    await new Promise<void>((r) => server.close(() => r()));
    expect(got.every((g) => g.header === 'sekrit')).toBe(true);
    const events = got.flatMap((g) => ProgressReport.parse(g.body).events);
    expect(events.map((e) => e.type)).toEqual(['stage', 'progress', 'done']);
    expect(events[1]).toMatchObject({ bytes: 2 });
  });

  it('sends the bootstrap uuid it runs from with each report', async () => {
    const { bodies, server, url } = await progressSink();
    const uuid = '0b7a6d9e-4c1f-4e0a-9b51-2f6d3c8a1e77';
    const reporter = new HttpReporter({ url, capability: 'c' }, silentLogger(), 60_000, uuid);
    reporter.emit({ type: 'done', result: 'ok', duration_ms: 1 });
    await reporter.drain();
    await new Promise<void>((r) => server.close(() => r()));
    expect(bodies.map((b) => ProgressReport.parse(b).bootstrap_uuid)).toEqual([uuid]);
  });

  it('sends the inventory in a report of its own, after the events queued before it', async () => {
    const { bodies, server, url } = await progressSink();
    const reporter = new HttpReporter({ url, capability: 'c' }, silentLogger(), 60_000);
    reporter.emit({ type: 'stage', seq: 1, total: 2, kind: 'partition', id: 'd', status: 'start' });
    reporter.inventory({ disks: [{ name: '/dev/vda', size: 8589934592, rotational: false }] });
    reporter.emit({ type: 'done', result: 'ok', duration_ms: 1 });
    await reporter.drain();
    await new Promise<void>((r) => server.close(() => r()));
    const reports = bodies.map((b) => ProgressReport.parse(b));
    expect(reports.map((r) => [r.events.map((e) => e.type), r.inventory?.disks.map((d) => d.name)])).toEqual([
      [['stage'], undefined],
      [[], ['/dev/vda']],
      [['done'], undefined],
    ]);
  });
});
