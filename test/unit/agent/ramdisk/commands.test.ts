import { cleanSteps } from '../../../../agent/src/ramdisk/commands/clean';
import { deploySteps } from '../../../../agent/src/ramdisk/commands/deploy';
import { redactCmdline } from '../../../../agent/src/ramdisk/commands/log';

describe('steps the conductor is offered', () => {
  it('deploy: the provisioning step at 80 with argsinfo for every argument, erase at 0; clean: erase at 99', () => {
    const [provision, erase] = deploySteps();
    expect(provision).toMatchObject({ step: 'anvil_provision', priority: 80, interface: 'deploy', reboot_requested: false });
    expect(Object.keys(provision!.argsinfo as object).sort()).toEqual(['layout', 'plan', 'plan_url']);
    expect(erase).toMatchObject({ step: 'erase_devices_metadata', priority: 0 });
    expect(cleanSteps()[0]).toMatchObject({ step: 'erase_devices_metadata', priority: 99, interface: 'deploy', abortable: true });
  });
});

describe('collected logs', () => {
  it('remove secrets from the kernel command line', () => {
    expect(redactCmdline('ipa-api-url=http://x ipa-agent-token=abcdef anvil.secret_key=1')).toBe('ipa-api-url=http://x ipa-agent-token=*** anvil.secret_key=***');
  });
});
