import type { AddressInfo } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';
import { AnvilError, silentLogger, validatePlan, type InventoryT } from '@anvil/shared';
import { agentApp, listen } from '../../agent/src/ramdisk/api-server';
import { cleanSteps } from '../../agent/src/ramdisk/commands/clean';
import { deploySteps } from '../../agent/src/ramdisk/commands/deploy';
import { redactCmdline } from '../../agent/src/ramdisk/commands/log';
import { CommandProcessor, type CommandSpec } from '../../agent/src/ramdisk/commands/registry';
import { loadAgentConfig, normalizeMac, parseCmdline } from '../../agent/src/ramdisk/config';
import { nextInterval } from '../../agent/src/ramdisk/heartbeat';
import { pickFromChecksumFile, planFromInstanceInfo, selectorFromHints } from '../../agent/src/ramdisk/instance-plan';
import { callbackUrl, lookupAddresses } from '../../agent/src/ramdisk/network';
import { redactPlan, resolvePlan } from '../../agent/src/ramdisk/plan-source';

const log = silentLogger();
const GiB = 1024 ** 3;
const inventory: InventoryT = {
  disks: [
    { name: '/dev/sda', size: 2 * GiB },
    { name: '/dev/sdb', size: 480 * GiB },
    { name: '/dev/nvme0n1', size: 240 * GiB },
  ],
};

describe('kernel command line', () => {
  it('parses Ironic’s parameters, quoted values and flags', () => {
    const k = parseCmdline('nofb ipa-api-url=http://10.0.0.1:6385 BOOTIF=01-52-54-00-12-34-56 ipa-debug=1 anvil.note="a b" quiet');
    expect(k.get('ipa-api-url')).toBe('http://10.0.0.1:6385');
    expect(k.get('anvil.note')).toBe('a b');
    expect(k.has('quiet')).toBe(true);
  });

  it('normalises BOOTIF from pxelinux and iPXE forms', () => {
    expect(normalizeMac('01-52-54-00-12-34-56')).toBe('52:54:00:12:34:56');
    expect(normalizeMac('52:54:00:12:34:AB')).toBe('52:54:00:12:34:ab');
    expect(normalizeMac('nonsense')).toBeUndefined();
  });

  it('builds the configuration: cmdline first, flags win', () => {
    const text = 'ipa-api-url=http://10.0.0.1:6385 BOOTIF=01-52-54-00-12-34-56 ipa-agent-token=' + 'x'.repeat(43) + ' ipa-global-request-id=req-1 anvil.listen_port=9000';
    const c = loadAgentConfig({ cmdline: 'cmdline', listenPort: '9100' }, () => text);
    expect(c).toMatchObject({ apiUrl: 'http://10.0.0.1:6385', bootif: '52:54:00:12:34:56', macs: ['52:54:00:12:34:56'], token: 'x'.repeat(43), globalRequestId: 'req-1', listenPort: 9100, lookupTimeoutS: 300, stateDir: '/run/anvil' });
  });

  it('refuses to start without an API URL, with a clear code', () => {
    expect(() => loadAgentConfig({ cmdline: 'c' }, () => 'BOOTIF=52:54:00:12:34:56')).toThrow(expect.objectContaining({ code: 'agent.no_api_url' }));
    expect(() => loadAgentConfig({ cmdline: 'c' }, () => 'ipa-api-url=http://x BOOTIF=zz')).toThrow(expect.objectContaining({ code: 'agent.bad_bootif' }));
  });
});

describe('network', () => {
  it('looks up by BOOTIF first, then every interface, and brackets IPv6 callback hosts', () => {
    const c = loadAgentConfig({ cmdline: 'c', mac: '52:54:00:00:00:01' }, () => 'ipa-api-url=http://x:6385');
    const ifaces = { lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: null }], eth1: [{ address: '10.1.1.5', netmask: '255.255.255.0', family: 'IPv4', mac: '52:54:00:00:00:02', internal: false, cidr: null }] } as const;
    expect(lookupAddresses(c, ifaces as unknown as NodeJS.Dict<NetworkInterfaceInfo[]>)).toEqual(['52:54:00:00:00:01', '52:54:00:00:00:02']);
    expect(callbackUrl('fd00::5', 9999)).toBe('http://[fd00::5]:9999');
    expect(callbackUrl('10.0.0.5', 9999)).toBe('http://10.0.0.5:9999');
  });

  it('heartbeats at 0.3–0.6 × heartbeat_timeout', () => {
    expect(nextInterval(300, () => 0)).toBe(90_000);
    expect(nextInterval(300, () => 1)).toBe(180_000);
  });
});

describe('steps the conductor is offered', () => {
  it('deploy: the provisioning step at 80 with argsinfo for every argument, erase at 0; clean: erase at 99', () => {
    const [provision, erase] = deploySteps();
    expect(provision).toMatchObject({ step: 'anvil_provision', priority: 80, interface: 'deploy', reboot_requested: false });
    expect(Object.keys(provision!.argsinfo as object).sort()).toEqual(['plan', 'plan_url']);
    expect(erase).toMatchObject({ step: 'erase_devices_metadata', priority: 0 });
    expect(cleanSteps()[0]).toMatchObject({ step: 'erase_devices_metadata', priority: 99, interface: 'deploy', abortable: true });
  });
});

describe('plans from instance_info', () => {
  it('maps root device hints to a selector', () => {
    expect(selectorFromHints({ serial: 's== ABC', size: '>= 100', rotational: 'false' })).toEqual({ serial: 's== ABC', size: '>= 100', rotational: false });
    expect(() => selectorFromHints({ wwn_vendor_extension: 'x' })).toThrow(expect.objectContaining({ code: 'instance.root_device_hint' }));
  });

  it('finds the image in a checksums file', () => {
    const text = `${'a'.repeat(64)}  other.img\n${'b'.repeat(64)} *disk.img\n`;
    expect(pickFromChecksumFile(text, 'http://h/images/disk.img')).toBe('b'.repeat(64));
    expect(pickFromChecksumFile(`${'c'.repeat(64)}\n`, 'http://h/x.img')).toBe('c'.repeat(64));
    expect(pickFromChecksumFile(text, 'http://h/none.img')).toBeUndefined();
  });

  it('writes the whole-disk image to the smallest disk of at least 4 GiB, with the config drive, and the plan validates', async () => {
    const plan = await planFromInstanceInfo(
      { image_source: 'https://images/os.img', image_os_hash_algo: 'sha512', image_os_hash_value: 'AB'.repeat(64), image_disk_format: 'qcow2', configdrive: 'http://meta/configdrive' },
      '1be26c0b-03f2-4d2e-ae87-c02d7f33c123',
      inventory,
      log,
    );
    expect(plan).toMatchObject({
      disks: [{ id: 'root', select: { name: '/dev/nvme0n1' }, table: 'none' }],
      images: [{ source: { url: 'https://images/os.img' }, checksum: `sha512:${'ab'.repeat(64)}`, format: 'qcow2', target: { disk: 'root' } }],
      configdrive: { disk: 'root', source: 'http://meta/configdrive' },
    });
    expect(validatePlan(JSON.stringify(plan), { inventory }).report.valid).toBe(true);
  });

  it('takes a legacy md5 image_checksum only with allow_md5, and refuses Glance UUIDs and partition images clearly', async () => {
    const md5 = await planFromInstanceInfo({ image_source: 'http://i/x.img', image_checksum: 'f83e7ea6f12b4529e6174d15928df726', root_device: { name: '/dev/sdb' } }, undefined, inventory, log);
    expect((md5.images as Record<string, unknown>[])[0]).toMatchObject({ checksum: 'md5:f83e7ea6f12b4529e6174d15928df726', allow_md5: true });
    await expect(planFromInstanceInfo({ image_source: '7f1a4ec4-59b5-4be3-a2e5-17e5a6b1f001' }, undefined, inventory, log)).rejects.toMatchObject({ code: 'instance.glance_image' });
    await expect(planFromInstanceInfo({ image_source: 'http://i/x.img', image_type: 'partition' }, undefined, inventory, log)).rejects.toMatchObject({ code: 'instance.partition_image' });
    await expect(planFromInstanceInfo({}, undefined, inventory, log)).rejects.toMatchObject({ code: 'instance.no_plan' });
  });

  it('resolves the plan in order: step arguments, then instance_info.anvil_plan, then the standalone fields', async () => {
    const node = { uuid: 'n', driver_info: {}, instance_info: { anvil_plan: { version: 1 }, image_source: 'http://i/x.img' } };
    const inv = (): Promise<InventoryT> => Promise.resolve(inventory);
    expect((await resolvePlan({ plan: '{"version":1,"disks":[]}' }, node, inv, log)).origin).toBe('step-args');
    expect((await resolvePlan({}, node, inv, log)).origin).toBe('instance_info.anvil_plan');
    expect((await resolvePlan({}, { ...node, instance_info: { image_source: 'http://i/x.img', root_device: { name: '/dev/sda' } } }, inv, log)).origin).toBe('instance_info');
    await expect(resolvePlan({}, { ...node, instance_info: { anvil_plan: '******' } }, inv, log)).rejects.toMatchObject({ code: 'plan.masked' });
  });

  it('removes secrets from plans and command lines kept in logs', () => {
    const text = JSON.stringify({ images: [{ source: { url: 'http://h/x?sig=1', glance: { image_id: 'i', token: 'T0KEN' }, headers: { Authorization: 'Bearer z' } } }], configdrive: { source: 'H4sI' } });
    const red = redactPlan(text);
    expect(red).not.toMatch(/T0KEN|Bearer|sig=1|H4sI/);
    expect(redactCmdline('ipa-api-url=http://x ipa-agent-token=abcdef anvil.secret_key=1')).toBe('ipa-api-url=http://x ipa-agent-token=*** anvil.secret_key=***');
  });
});

describe('the command API', () => {
  const TOKEN = 't'.repeat(43);
  let base = '';
  let release: () => void = () => undefined;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const specs = new Map<string, CommandSpec>([
      ['deploy.get_deploy_steps', { async: false, run: () => Promise.resolve({ deploy_steps: {}, hardware_manager_version: {} }) }],
      ['deploy.execute_deploy_step', { async: true, run: () => new Promise((r) => (release = () => r({ deploy_result: null, deploy_step: { step: 's' } }))) }],
      ['standby.sync', { async: false, run: () => Promise.reject(new AnvilError('exec.failed', 'the sync failed:\nbecause')) }],
    ]);
    const processor = new CommandProcessor(specs, log);
    const { server } = await listen(agentApp({ commands: processor, token: () => TOKEN, log, startedAt: new Date(0) }), '127.0.0.1', 0);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((r) => server.close(() => r()));
  });
  afterAll(() => close());

  const post = (name: string, q = `agent_token=${TOKEN}`): Promise<Response> => fetch(`${base}/v1/commands/?wait=false&${q}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, params: {} }) });

  it('serves the version documents and status', async () => {
    expect(await (await fetch(`${base}/`)).json()).toMatchObject({ default_version: { id: 'v1' } });
    expect(await (await fetch(`${base}/v1/status`)).json()).toEqual({ started_at: '1970-01-01T00:00:00.000Z', version: '0.1.0' });
  });

  it('requires the token on POST and accepts it on GET', async () => {
    const noToken = await post('deploy.get_deploy_steps', '');
    expect(noToken.status).toBe(401);
    expect(((await noToken.json()) as { faultstring: string }).faultstring).toContain('agent token');
    expect((await fetch(`${base}/v1/commands/`)).status).toBe(200);
    expect((await fetch(`${base}/v1/commands/?agent_token=${TOKEN}`)).status).toBe(200);
    expect((await fetch(`${base}/v1/commands/?agent_token=wrong`)).status).toBe(401);
  });

  it('answers in IPA’s shape, 409 while a command runs, 400 for unknown commands, and lists in order', async () => {
    const steps = (await (await post('deploy.get_deploy_steps')).json()) as Record<string, unknown>;
    expect(steps).toMatchObject({ command_name: 'get_deploy_steps', command_status: 'SUCCEEDED', command_error: null });
    const running = (await (await post('deploy.execute_deploy_step')).json()) as { id: string; command_status: string };
    expect(running.command_status).toBe('RUNNING');
    const busy = await post('standby.sync');
    expect(busy.status).toBe(409);
    expect(((await busy.json()) as { faultstring: string }).faultstring).toContain('Agent is busy');
    release();
    const done = (await (await fetch(`${base}/v1/commands/${running.id}?wait=true`)).json()) as Record<string, unknown>;
    expect(done).toMatchObject({ command_status: 'SUCCEEDED', command_result: { deploy_step: { step: 's' } } });
    const unknown = await post('deploy.nope');
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { faultstring: string }).faultstring).toContain('Unknown command: deploy.nope');
    const failed = (await (await post('standby.sync')).json()) as { command_status: string; command_error: Record<string, unknown> };
    expect(failed).toMatchObject({ command_status: 'FAILED', command_error: { type: 'CommandExecutionError', message: 'the sync failed', details: 'the sync failed: because [exec.failed]', anvil_code: 'exec.failed' } });
    const list = (await (await fetch(`${base}/v1/commands`)).json()) as { commands: { command_name: string }[] };
    expect(list.commands.map((c) => c.command_name)).toEqual(['get_deploy_steps', 'execute_deploy_step', 'sync']);
  });

  it('rejects malformed bodies with a faultstring', async () => {
    const r = await fetch(`${base}/v1/commands/?agent_token=${TOKEN}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ params: {} }) });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { faultstring: string }).faultstring).toMatch(/^Invalid command: name/);
  });
});
