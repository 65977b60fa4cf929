import type { AddressInfo } from 'node:net';
import { AnvilError, silentLogger } from '@anvil/shared';
import { agentApp, listen } from '../../../../agent/src/ramdisk/api-server';
import { CommandProcessor, type CommandSpec } from '../../../../agent/src/ramdisk/commands/registry';

const log = silentLogger();

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
