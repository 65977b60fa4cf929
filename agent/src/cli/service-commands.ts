import type { Command } from 'commander';
import { AnvilError, isErrorCode } from '@anvil/shared';
import { readData } from './io';
import { serviceRequest } from './service-client';
import type { CliCloud, ServiceTarget } from './cli-cloud';
import type { NodeValidation } from '@anvil/shared/protocol';
import type { Io } from './plan-commands';

/** A call to the driver-service; its `{code, message}` errors become AnvilErrors. */
export async function call(service: ServiceTarget, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await serviceRequest(service, method, path, body);
  if (res.status >= 300) {
    const e = (res.data ?? {}) as { code?: string; message?: string; entries?: { severity: string; pointer: string; code: string; message: string }[] };
    const lines = e.entries?.map((x) => `  ${x.severity} ${x.pointer || '/'} ${x.code}: ${x.message}`) ?? [];
    // The service's own code when this anvil knows it; an unknown one (another version) becomes cli.http_<status>.
    throw new AnvilError(isErrorCode(e.code) ? e.code : `cli.http_${res.status}`, [e.message ?? `HTTP ${res.status}`, ...lines].join('\n'), {}, res.status);
  }
  return res.data;
}

/** `anvil node adopt` and `anvil layout put|list|delete`: the driver-service's operator API from the shell. */
export function registerServiceCommands(program: Command, io: Io, setExit: (code: number) => void, cloud: CliCloud): void {
  const serviceOption = ['--service <url>', 'the Anvil driver-service', process.env.ANVIL_SERVICE_URL] as const;

  const node = program.command('node').description('nodes, through the driver-service');
  node
    .command('adopt <node>')
    .description('adopt an Ironic node: custom-agent deploy interface and a fresh capability URL in driver_info')
    .requiredOption(...serviceOption)
    .option('--layout <name>', 'the layout for this node (driver_info.anvil_layout)')
    .action(async (ident: string, f: { service: string; layout?: string }) => {
      const r = (await call(cloud.service(f.service), 'POST', `/v1/nodes/${encodeURIComponent(ident)}/adopt`, f.layout ? { layout: f.layout } : {})) as { node_uuid: string; deploy_interface: string; layout: string | null };
      io.out(`${r.node_uuid}: adopted (deploy interface ${r.deploy_interface}${r.layout ? `, layout ${r.layout}` : ''}); driver_info.anvil_metadata_url is set`);
      setExit(0);
    });

  const layout = program.command('layout').description('layouts stored by the driver-service');
  layout
    .command('put <name> <file>')
    .description('store a layout (a plan with {{image.url}}, {{image.checksum}}, {{image.format}}, {{configdrive}} placeholders), validated by the service')
    .requiredOption(...serviceOption)
    .option('--description <text>', 'what the layout is for')
    .option('--default', 'make it the default layout')
    .action(async (name: string, file: string, f: { service: string; description?: string; default?: boolean }) => {
      const plan = await readData(file);
      await call(cloud.service(f.service), 'PUT', `/v1/layouts/${encodeURIComponent(name)}`, { plan, ...(f.description ? { description: f.description } : {}), ...(f.default ? { default: true } : {}) });
      io.out(`layout ${name} stored`);
      setExit(0);
    });
  layout
    .command('check <name>')
    .description('check a stored layout against a node: filled from its instance_info, validated against the disks its agent last reported')
    .requiredOption('--node <node>', 'the Ironic node (uuid or name)')
    .requiredOption(...serviceOption)
    .action(async (name: string, f: { node: string; service: string }) => {
      const v = (await call(cloud.service(f.service), 'GET', `/v1/nodes/${encodeURIComponent(f.node)}/validation?layout=${encodeURIComponent(name)}`)) as NodeValidation;
      for (const e of v.entries) io.err(`${e.severity} ${e.pointer || '/'} ${e.code}: ${e.message}`);
      const errors = v.entries.filter((e) => e.severity === 'error').length;
      const against = v.inventory ? `its ${v.inventory.disks} disk${v.inventory.disks === 1 ? '' : 's'} as its agent reported them at ${v.inventory.reported_at}` : 'no disks reported yet: checked on its own, the agent checks the real disks before it touches them';
      io.out(`layout ${v.layout} ${errors ? `does not fit node ${v.node_uuid} (${errors} error${errors === 1 ? '' : 's'})` : `fits node ${v.node_uuid}`}; ${against}`);
      setExit(errors ? 1 : 0);
    });
  layout
    .command('list')
    .description('list the layouts')
    .requiredOption(...serviceOption)
    .action(async (f: { service: string }) => {
      const r = (await call(cloud.service(f.service), 'GET', '/v1/layouts')) as { layouts: { name: string; default: boolean; description: string | null; updated_at: string }[] };
      for (const l of r.layouts) io.out(`${l.name}${l.default ? ' (default)' : ''}\t${l.updated_at}\t${l.description ?? ''}`);
      setExit(0);
    });
  layout
    .command('delete <name>')
    .description('delete a layout')
    .requiredOption(...serviceOption)
    .action(async (name: string, f: { service: string }) => {
      await call(cloud.service(f.service), 'DELETE', `/v1/layouts/${encodeURIComponent(name)}`);
      io.out(`layout ${name} deleted`);
      setExit(0);
    });
}
