import type { CompiledPlan } from '@anvil/shared';
import type { AgentContext } from './context';
import type { CommandSpec } from './registry';

/** The root filesystem's and the ESP's devices in a compiled plan (for get_partition_uuids). */
export function bootDevices(compiled: CompiledPlan): { root?: string; esp?: string } {
  const mounts = compiled.actions.filter((a) => a.kind === 'mount');
  const root = mounts.find((m) => m.kind === 'mount' && m.mountpoint === compiled.targetRoot);
  const esp = mounts.find((m) => m.kind === 'mount' && m.mountpoint === `${compiled.targetRoot}/boot/efi` && m.fsType === 'vfat');
  return { ...(root?.kind === 'mount' ? { root: root.device } : {}), ...(esp?.kind === 'mount' ? { esp: esp.device } : {}) };
}

async function blkidValue(ctx: AgentContext, device: string | undefined, tag: 'PARTUUID' | 'UUID'): Promise<string | null> {
  if (!device) return null;
  const r = await ctx.runner.run(['blkid', '-o', 'value', '-s', tag, device], { allowFail: true });
  return r.exitCode === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

export function standbyCommands(ctx: AgentContext): Map<string, CommandSpec> {
  return new Map<string, CommandSpec>([
    [
      'standby.power_off',
      {
        async: true,
        run: async () => {
          await ctx.runner.run(['sync'], { allowFail: true });
          // After the answer has gone out: the conductor only needs the command accepted.
          setTimeout(() => ctx.shutdown('standby.power_off'), 500).unref();
          return null;
        },
      },
    ],
    [
      'standby.sync',
      {
        async: false,
        run: async () => {
          await ctx.runner.run(['sync']);
          return null;
        },
      },
    ],
    [
      'standby.get_partition_uuids',
      {
        async: false,
        run: async () => {
          const devs = ctx.lastCompiled ? bootDevices(ctx.lastCompiled) : {};
          return {
            'root uuid': (await blkidValue(ctx, devs.root, 'PARTUUID')) ?? (await blkidValue(ctx, devs.root, 'UUID')),
            'efi system partition uuid': await blkidValue(ctx, devs.esp, 'PARTUUID'),
            'PReP Boot partition uuid': null,
          };
        },
      },
    ],
  ]);
}
