import { AnvilError, type InventoryT, type Logger } from '@anvil/shared';
import { z } from 'zod';
import { request } from 'undici';
import { planFromInstanceInfo } from './instance-plan';

export type PlanOrigin = 'step-args' | 'driver_info.anvil_metadata_url' | 'instance_info.anvil_plan' | 'instance_info';

export interface ResolvedPlan {
  readonly text: string;
  readonly origin: PlanOrigin;
  /** Where it came from, for messages (URLs without their query). */
  readonly name: string;
}

/** What the conductor sends in `node` (as_dict(secure=True, mask_configdrive=False)). */
export const ConductorNode = z.looseObject({
  uuid: z.string(),
  driver_info: z.record(z.string(), z.unknown()).default({}),
  instance_info: z.record(z.string(), z.unknown()).default({}),
});
export type ConductorNodeT = z.infer<typeof ConductorNode>;

export const StepArgs = z.looseObject({
  plan_url: z.string().url().optional(),
  plan: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
});

const MASKED = /^\*{3,}$/;

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/[^/]{16,}$/, '/…')}`;
  } catch {
    return '<url>';
  }
}

/** GETs a plan; a refusal carries the server's own code and message (the driver-service answers `{code, message}`). */
async function fetchText(url: string, log: Logger, what: string): Promise<string> {
  const shown = redactUrl(url);
  let lastWhy = '';
  for (let attempt = 1; attempt <= 5; attempt++) {
    try {
      const res = await request(url, { headers: { accept: 'application/json' }, headersTimeout: 30_000, bodyTimeout: 60_000 });
      const body = await res.body.text();
      if (res.statusCode === 200) return body;
      let why = `HTTP ${res.statusCode}`;
      try {
        const e = JSON.parse(body) as { code?: unknown; message?: unknown };
        if (typeof e.message === 'string') why += `: ${e.message}${typeof e.code === 'string' ? ` (${e.code})` : ''}`;
      } catch {
        // not JSON
      }
      if (res.statusCode < 500) throw new AnvilError('plan.fetch_refused', `${what} (${shown}) refused the plan: ${why}`, { status: res.statusCode });
      lastWhy = why;
    } catch (err) {
      if (err instanceof AnvilError) throw err;
      lastWhy = err instanceof Error ? err.message : String(err);
    }
    log.warn({ url: shown, attempt, why: lastWhy }, 'plan fetch failed; retrying');
    await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
  }
  throw new AnvilError('plan.fetch_failed', `cannot fetch the plan from ${what} (${shown}): ${lastWhy}`);
}

/**
 * `{{configdrive}}` left in a plan by the driver-service (Ironic's API masks instance_info.configdrive):
 * filled from the node the conductor sent, or the config drive is left out when there is none.
 */
export function fillConfigdrive(text: string, node: ConductorNodeT): string {
  if (!text.includes('"{{configdrive}}"')) return text;
  const plan = JSON.parse(text) as Record<string, unknown>;
  const cd = node.instance_info.configdrive;
  const given = cd !== undefined && cd !== null && cd !== '';
  if (plan.configdrive && typeof plan.configdrive === 'object') {
    if (given) (plan.configdrive as Record<string, unknown>).source = cd;
    else delete plan.configdrive;
  }
  return JSON.stringify(plan);
}

function inline(value: unknown, what: string): string {
  if (typeof value === 'string') {
    if (MASKED.test(value)) throw new AnvilError('plan.masked', `${what} reached the agent masked by Ironic ("${value}"): keys containing words such as token, password or secret are hidden from the ramdisk; serve the plan from the driver-service instead`);
    return value;
  }
  return JSON.stringify(value);
}

/**
 * The plan for this deploy, in order: the step's arguments (`plan_url` or an inline `plan`), the node's
 * `driver_info.anvil_metadata_url` (the driver-service), `instance_info.anvil_plan`, or a whole-disk plan
 * built from the standalone `instance_info` fields.
 */
export async function resolvePlan(args: Record<string, unknown>, node: ConductorNodeT, inventory: () => Promise<InventoryT>, log: Logger): Promise<ResolvedPlan> {
  const a = StepArgs.safeParse(args);
  if (!a.success) throw new AnvilError('plan.bad_step_args', `deploy step argument ${a.error.issues[0]?.path.join('.') ?? ''}: ${a.error.issues[0]?.message ?? ''}`);
  if (a.data.plan !== undefined) return { text: inline(a.data.plan, 'the step argument plan'), origin: 'step-args', name: 'deploy step argument plan' };
  if (a.data.plan_url) return { text: await fetchText(a.data.plan_url, log, 'the step argument plan_url'), origin: 'step-args', name: redactUrl(a.data.plan_url) };
  const meta = node.driver_info.anvil_metadata_url;
  if (typeof meta === 'string' && meta) {
    if (MASKED.test(meta)) throw new AnvilError('plan.masked', 'driver_info.anvil_metadata_url reached the agent masked by Ironic; re-adopt the node so the URL carries its secret in the path');
    return { text: fillConfigdrive(await fetchText(meta, log, 'driver_info.anvil_metadata_url'), node), origin: 'driver_info.anvil_metadata_url', name: redactUrl(meta) };
  }
  const ii = node.instance_info;
  if (ii.anvil_plan !== undefined && ii.anvil_plan !== null) return { text: inline(ii.anvil_plan, 'instance_info.anvil_plan'), origin: 'instance_info.anvil_plan', name: 'instance_info.anvil_plan' };
  const plan = await planFromInstanceInfo(ii, node.uuid, await inventory(), log);
  return { text: JSON.stringify(plan, null, 2), origin: 'instance_info', name: 'plan built from instance_info' };
}

/** The plan with what may be secret replaced (for logs and collected log bundles). */
export function redactPlan(text: string): string {
  try {
    return JSON.stringify(
      JSON.parse(text, (key, value: unknown) => {
        if (['token', 'headers', 'password', 'secret'].includes(key)) return '***';
        if (key === 'source' && typeof value === 'string') return '***';
        if (key === 'url' && typeof value === 'string') return redactUrl(value);
        if (['user_data', 'meta_data', 'vendor_data', 'network_data'].includes(key)) return '***';
        return value;
      }),
      null,
      2,
    );
  } catch {
    return '<the plan is not JSON and is left out>';
  }
}
