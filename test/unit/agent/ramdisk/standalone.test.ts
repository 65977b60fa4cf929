import { AnvilError, silentLogger } from '@anvil/shared';
import type { ProvisionOptions } from '../../../../agent/src/provision';
import { afterCommand, runStandalone, standaloneConfig } from '../../../../agent/src/ramdisk/standalone';
import { RecordingRunner } from '../../../helpers/recording-runner';

const PLAN = 'http://10.0.2.2:8080/anvil/v1/plan?cap=s3cretcapability';

describe('standalone provisioning settings', () => {
  it('reads the plan and the after-actions from the kernel command line, with defaults', () => {
    expect(standaloneConfig(`console=ttyS0 anvil.plan=${PLAN} BOOTIF=01-52-54-00-12-34-56`)).toEqual({
      plan: PLAN,
      after: 'reboot',
      afterFailure: 'stay',
      bootif: '52:54:00:12:34:56',
      addressWaitS: 60,
      stateFile: '/run/anvil/standalone.state.json',
      targetRoot: '/mnt/anvil',
    });
    expect(standaloneConfig(`anvil.plan=${PLAN} anvil.after=poweroff anvil.after_failure=reboot anvil.address_wait=5 anvil.firmware=uefi`)).toMatchObject({ after: 'poweroff', afterFailure: 'reboot', addressWaitS: 5, firmware: 'uefi' });
  });

  it('refuses a missing plan, a plan that is not http(s) and an unknown after-action, naming the kernel argument', () => {
    const code = (cmdline: string): string => {
      try {
        standaloneConfig(cmdline);
        return 'none';
      } catch (e) {
        return `${(e as AnvilError).code}: ${(e as AnvilError).message}`;
      }
    };
    expect(code('console=ttyS0')).toBe('agent.bad_config: standalone provisioning: the kernel command line has no anvil.plan=URL');
    expect(code('anvil.plan=file:///etc/plan.json')).toMatch(/^agent\.bad_config: standalone provisioning: anvil\.plan: /);
    expect(code(`anvil.plan=${PLAN} anvil.after=halt`)).toMatch(/^agent\.bad_config: standalone provisioning: anvil\.after: /);
  });

  it('reboots and powers off cleanly under systemd, by force without it; stays without a command', () => {
    expect(afterCommand('reboot', true)).toEqual(['systemctl', '--no-block', 'reboot']);
    expect(afterCommand('poweroff', false)).toEqual(['poweroff', '-f']);
    expect(afterCommand('stay', true)).toBeUndefined();
  });
});

describe('runStandalone', () => {
  const config = standaloneConfig(`anvil.plan=${PLAN} anvil.after=reboot anvil.after_failure=poweroff`);

  it('waits for the network, provisions the plan, says so without the capability, and reboots', async () => {
    const runner = new RecordingRunner();
    const said: string[] = [];
    const calls: ProvisionOptions[] = [];
    const waited: Array<string | undefined> = [];
    const code = await runStandalone(config, {
      runner,
      log: silentLogger(),
      reporter: { emit: () => undefined },
      provision: (o) => {
        calls.push(o);
        return Promise.resolve({ validation: {} as never });
      },
      say: (t) => void said.push(t),
      waitForAddress: (mac) => {
        waited.push(mac);
        return Promise.resolve('10.0.2.15');
      },
      systemd: true,
    });
    expect(code).toBe(0);
    expect(waited).toEqual([undefined]);
    expect(calls.map((c) => [c.plan, c.stateFile, c.targetRoot])).toEqual([[PLAN, '/run/anvil/standalone.state.json', '/mnt/anvil']]);
    expect(said.join('\n')).not.toContain('s3cretcapability');
    expect(said).toEqual([expect.stringMatching(/^anvil standalone: provisioned http:\/\/10\.0\.2\.2:8080\/anvil\/v1\/plan\S*; reboot$/)]);
    expect(runner.recorded.map((r) => r.line)).toEqual(['systemctl --no-block reboot']);
  });

  it('on a failure says the code and does the after-failure action, exit 1', async () => {
    const runner = new RecordingRunner();
    const said: string[] = [];
    const code = await runStandalone(config, {
      runner,
      log: silentLogger(),
      reporter: { emit: () => undefined },
      provision: () => Promise.reject(new AnvilError('provision.invalid_plan', 'the plan is not valid for this machine; nothing was touched')),
      say: (t) => void said.push(t),
      waitForAddress: () => Promise.resolve('10.0.2.15'),
      systemd: false,
    });
    expect(code).toBe(1);
    expect(said[0]).toMatch(/FAILED: the plan is not valid for this machine; nothing was touched \[provision\.invalid_plan\]; poweroff$/);
    expect(runner.recorded.map((r) => r.line)).toEqual(['poweroff -f']);
  });
});
