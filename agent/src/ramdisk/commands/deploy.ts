import { AnvilError, type InventoryT } from '@anvil/shared';
import { z } from 'zod';
import { provision } from '../../provision';
import { readInventory } from '../../inventory/lsblk';
import { ConductorNode, redactPlan, resolvePlan } from '../plan-source';
import { MultiReporter } from '../../report/events';
import { METADATA_URL_KEY } from '@anvil/shared/protocol';
import { HttpReporter, reportTarget } from '../../report/http';
import { eraseDisksMetadata } from './erase';
import { HARDWARE_MANAGER, inventoryOptions, managerVersions, versionsMatch, type AgentContext } from './context';
import { VersionMismatch, type CommandSpec } from './registry';

export const PROVISION_STEP = 'anvil_provision';
export const ERASE_STEP = 'erase_devices_metadata';

/** In-band deploy steps on interface `deploy`: provisioning runs by default (80), erase on request (0). */
export function deploySteps(): Record<string, unknown>[] {
  return [
    {
      step: PROVISION_STEP,
      priority: 80,
      interface: 'deploy',
      reboot_requested: false,
      argsinfo: {
        layout: { description: 'The driver-service layout to deploy, over what instance_info, driver_info, the image and traits choose (e.g. from a deploy template named after a CUSTOM_ANVIL_* trait).', required: false },
        plan_url: { description: 'An http(s) URL of the Anvil plan to apply (instead of the driver-service or instance_info).', required: false },
        plan: { description: 'An Anvil plan given inline, as an object or JSON text.', required: false },
      },
    },
    { step: ERASE_STEP, priority: 0, interface: 'deploy', reboot_requested: false, argsinfo: null },
  ];
}

const Step = z.looseObject({ step: z.string(), interface: z.string(), args: z.record(z.string(), z.unknown()).nullish() });
const ExecuteParams = z.looseObject({ step: Step, node: ConductorNode, ports: z.array(z.unknown()).optional(), deploy_version: z.unknown().optional() });

function parseParams(params: unknown): z.infer<typeof ExecuteParams> {
  const p = ExecuteParams.safeParse(params);
  if (!p.success) throw new AnvilError('agent.bad_params', `execute_deploy_step parameters: ${p.error.issues[0]?.path.join('.') ?? ''}: ${p.error.issues[0]?.message ?? ''}`);
  return p.data;
}

/** The Anvil provisioning step: resolve the plan, then inventory → validate → compile → execute. */
async function runProvision(ctx: AgentContext, p: z.infer<typeof ExecuteParams>, resumed: boolean): Promise<Record<string, unknown>> {
  const log = ctx.log.child({ step: p.step.step });
  const visible = inventoryOptions(ctx.config);
  const plan = await resolvePlan(p.step.args ?? {}, p.node, () => readInventory(ctx.runner, visible), log);
  ctx.lastPlan = { origin: plan.origin, name: plan.name, redacted: redactPlan(plan.text) };
  log.info({ origin: plan.origin, plan: plan.name, resumed }, 'plan resolved');
  const started = Date.now();
  // A plan from the driver-service: progress goes back to it, authorised by the same capability.
  const meta = p.node.driver_info[METADATA_URL_KEY];
  const target = plan.origin === 'driver_info.anvil_metadata_url' && typeof meta === 'string' ? reportTarget(meta) : undefined;
  const http = target ? new HttpReporter(target, log, 1000, ctx.config.bootstrapUuid) : undefined;
  try {
    const result = await provision({
      plan: plan.name,
      planText: plan.text,
      resume: resumed,
      stateFile: `${ctx.config.stateDir}/provision.state.json`,
      targetRoot: ctx.config.targetRoot,
      ...(ctx.config.firmware ? { firmware: ctx.config.firmware } : {}),
      inventory: visible,
      runner: ctx.runner,
      log,
      reporter: http ? new MultiReporter([ctx.reporter, http]) : ctx.reporter,
      ...(http ? { onInventory: (inventory: InventoryT) => http.inventory(inventory) } : {}),
    });
    ctx.lastCompiled = result.compiled;
    return {
      plan_origin: plan.origin,
      disks: result.compiled?.disks ?? [],
      actions: result.compiled?.actions.length ?? 0,
      duration_s: Math.round((Date.now() - started) / 100) / 10,
    };
  } finally {
    await http?.drain();
  }
}

export function deployCommands(ctx: AgentContext): Map<string, CommandSpec> {
  return new Map<string, CommandSpec>([
    [
      'deploy.get_deploy_steps',
      {
        async: false,
        run: () => Promise.resolve({ deploy_steps: { [HARDWARE_MANAGER]: deploySteps() }, hardware_manager_version: managerVersions() }),
      },
    ],
    [
      'deploy.execute_deploy_step',
      {
        async: true,
        run: async (params, { resumed }) => {
          const p = parseParams(params);
          if (!versionsMatch(p.deploy_version)) throw new VersionMismatch(`the conductor's steps are for hardware managers ${JSON.stringify(p.deploy_version)}, this agent has ${JSON.stringify(managerVersions())}`);
          if (p.step.interface !== 'deploy') throw new AnvilError('agent.unknown_step', `the agent has no deploy step on interface ${p.step.interface}`);
          let deployResult: unknown;
          if (p.step.step === PROVISION_STEP) deployResult = await runProvision(ctx, p, resumed);
          else if (p.step.step === ERASE_STEP) deployResult = { erased: await eraseDisksMetadata(ctx) };
          else throw new AnvilError('agent.unknown_step', `the agent has no deploy step ${p.step.step} (it has ${PROVISION_STEP} and ${ERASE_STEP})`);
          return { deploy_result: deployResult, deploy_step: p.step };
        },
      },
    ],
  ]);
}
