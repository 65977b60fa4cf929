import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InventoryT } from '@anvil/shared';
import { fillConfigdrive, redactPlan, resolvePlan } from '../../../../agent/src/ramdisk/plan-source';
import { inventory, log } from '../../../helpers/ramdisk';

describe('the plan of a deploy', () => {
  it('resolves the plan in order: step arguments, then instance_info.anvil_plan, then the standalone fields', async () => {
    const node = { uuid: 'n', driver_info: {}, properties: {}, instance_info: { anvil_plan: { version: 1 }, image_source: 'http://i/x.img' } };
    const inv = (): Promise<InventoryT> => Promise.resolve(inventory);
    expect((await resolvePlan({ plan: '{"version":1,"disks":[]}' }, node, inv, log)).origin).toBe('step-args');
    expect((await resolvePlan({}, node, inv, log)).origin).toBe('instance_info.anvil_plan');
    expect((await resolvePlan({}, { ...node, instance_info: { image_source: 'http://i/x.img', root_device: { name: '/dev/sda' } } }, inv, log)).origin).toBe('instance_info');
    await expect(resolvePlan({}, { ...node, instance_info: { anvil_plan: '******' } }, inv, log)).rejects.toMatchObject({ code: 'plan.masked' });
  });

  it('takes root device hints from properties.root_device, with instance_info.root_device overriding them', async () => {
    const inv = (): Promise<InventoryT> => Promise.resolve(inventory);
    const base = { uuid: 'n', driver_info: {}, instance_info: { image_source: 'http://i/x.img' } };
    const disk = async (n: Record<string, unknown>): Promise<unknown> => (JSON.parse((await resolvePlan({}, n as typeof base & { properties: Record<string, unknown> }, inv, log)).text) as { disks: { select: unknown }[] }).disks[0]!.select;
    expect(await disk({ ...base, properties: { root_device: { serial: 'S-PROP' } } })).toEqual({ serial: 'S-PROP' });
    expect(await disk({ ...base, instance_info: { ...base.instance_info, root_device: { wwn: '0x5000' } }, properties: { root_device: { serial: 'S-PROP' } } })).toEqual({ wwn: '0x5000' });
  });

  it('asks the driver-service for the layout its step argument names', async () => {
    const urls: string[] = [];
    const server = createServer((req, res) => {
      urls.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"version":1}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const meta = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/metadata/n/s3cret`;
    const node = { uuid: 'n', driver_info: { anvil_metadata_url: meta }, properties: {}, instance_info: {} };
    const inv = (): Promise<InventoryT> => Promise.resolve(inventory);
    try {
      expect(await resolvePlan({ layout: 'raid10' }, node, inv, log)).toMatchObject({ origin: 'driver_info.anvil_metadata_url', text: '{"version":1}' });
      await resolvePlan({}, node, inv, log);
      await expect(resolvePlan({ layout: '../x' }, node, inv, log)).rejects.toMatchObject({ code: 'plan.bad_step_args' });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    expect(urls).toEqual(['/v1/metadata/n/s3cret?layout=raid10', '/v1/metadata/n/s3cret']);
  });

  it('removes secrets from plans kept in logs', () => {
    const text = JSON.stringify({ images: [{ source: { url: 'http://h/x?sig=1', glance: { image_id: 'i', token: 'T0KEN' }, headers: { Authorization: 'Bearer z' } } }], configdrive: { source: 'H4sI' } });
    const red = redactPlan(text);
    expect(red).not.toMatch(/T0KEN|Bearer|sig=1|H4sI/);
  });

  it('the agent fills the masked config drive from the node the conductor sent, or drops it', () => {
    const text = JSON.stringify({ version: 1, configdrive: { disk: 'd', source: '{{configdrive}}' } });
    const node = { uuid: 'n', driver_info: {}, instance_info: { configdrive: 'H4sIcd' } };
    expect(JSON.parse(fillConfigdrive(text, node))).toEqual({ version: 1, configdrive: { disk: 'd', source: 'H4sIcd' } });
    expect(JSON.parse(fillConfigdrive(text, { ...node, instance_info: {} }))).toEqual({ version: 1 });
  });
});
