import { AnvilError } from '@anvil/shared';
import { z } from 'zod';
import { eraseDisksMetadata } from './erase';
import { HARDWARE_MANAGER, managerVersions, versionsMatch, type AgentContext } from './context';
import { VersionMismatch, type CommandSpec } from './registry';

/** Clean steps: erase metadata on every disk, at IPA's priority for it (99; Ironic's [deploy] options may override). */
export function cleanSteps(): Record<string, unknown>[] {
  return [{ step: 'erase_devices_metadata', priority: 99, interface: 'deploy', reboot_requested: false, abortable: true, argsinfo: null }];
}

const ExecuteParams = z.looseObject({ step: z.looseObject({ step: z.string(), interface: z.string() }), clean_version: z.unknown().optional() });

export function cleanCommands(ctx: AgentContext): Map<string, CommandSpec> {
  return new Map<string, CommandSpec>([
    ['clean.get_clean_steps', { async: false, run: () => Promise.resolve({ clean_steps: { [HARDWARE_MANAGER]: cleanSteps() }, hardware_manager_version: managerVersions() }) }],
    [
      'clean.execute_clean_step',
      {
        async: true,
        run: async (params) => {
          const p = ExecuteParams.safeParse(params);
          if (!p.success) throw new AnvilError('agent.bad_params', `execute_clean_step parameters: ${p.error.issues[0]?.path.join('.') ?? ''}: ${p.error.issues[0]?.message ?? ''}`);
          if (!versionsMatch(p.data.clean_version)) throw new VersionMismatch(`the conductor's clean steps are for hardware managers ${JSON.stringify(p.data.clean_version)}, this agent has ${JSON.stringify(managerVersions())}`);
          const { step } = p.data;
          if (step.interface !== 'deploy' || step.step !== 'erase_devices_metadata') throw new AnvilError('agent.unknown_step', `the agent has no clean step ${step.interface}.${step.step}`);
          return { clean_result: { erased: await eraseDisksMetadata(ctx) }, clean_step: step };
        },
      },
    ],
  ]);
}
