import { AnvilError, type InventoryT, type Logger } from '@anvil/shared';
import { isRetryable, withRetry } from '@anvil/shared/http';
import { fillPlan, hasConfigdrivePlaceholder, LAYOUT_NAME, LAYOUT_QUERY, MASKED, METADATA_URL_KEY, redactUrl } from '@anvil/shared/protocol';
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
  properties: z.record(z.string(), z.unknown()).default({}),
});
export type ConductorNodeT = z.infer<typeof ConductorNode>;

export const StepArgs = z.looseObject({
  layout: z.string().regex(LAYOUT_NAME, 'a layout name: lower-case letters, digits, - and _').optional(),
  plan_url: z.string().url().optional(),
  plan: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
});

/** A plan fetch that may be asked again (a 5xx, a dropped connection); refusals are AnvilErrors and are not. */
class Transient extends Error {}

/** GETs a plan; a refusal carries the server's own code and message (the driver-service answers `{code, message}`). */
async function fetchText(url: string, log: Logger, what: string): Promise<string> {
  const shown = redactUrl(url);
  try {
    return await withRetry(
      async () => {
        let res;
        try {
          res = await request(url, { headers: { accept: 'application/json' }, headersTimeout: 30_000, bodyTimeout: 60_000 });
        } catch (err) {
          throw new Transient(err instanceof Error ? err.message : String(err));
        }
        const body = await res.body.text();
        if (res.statusCode === 200) return body;
        let why = `HTTP ${res.statusCode}`;
        try {
          const e = JSON.parse(body) as { code?: unknown; message?: unknown };
          if (typeof e.message === 'string') why += `: ${e.message}${typeof e.code === 'string' ? ` (${e.code})` : ''}`;
        } catch {
          // not JSON
        }
        // Any 5xx of a GET: the service (or Ironic behind it) may answer the next one.
        if (res.statusCode >= 500 || isRetryable({ kind: 'status', status: res.statusCode }, { method: 'GET' })) throw new Transient(why);
        throw new AnvilError('plan.fetch_refused', `${what} (${shown}) refused the plan: ${why}`, { status: res.statusCode }, 502);
      },
      {
        policy: { retries: 4, baseDelayMs: 1000, maxDelayMs: 16_000 },
        retryable: (err) => err instanceof Transient,
        onRetry: (err, attempt) => log.warn({ url: shown, attempt, why: err instanceof Error ? err.message : String(err) }, 'plan fetch failed; retrying'),
      },
    );
  } catch (err) {
    if (err instanceof AnvilError) throw err;
    throw new AnvilError('plan.fetch_failed', `cannot fetch the plan from ${what} (${shown}): ${err instanceof Error ? err.message : String(err)}`, {}, 502);
  }
}

/**
 * `{{configdrive}}` left in a plan by the driver-service (Ironic's API masks instance_info.configdrive):
 * filled from the node the conductor sent, or the config drive is left out when there is none. The
 * protocol's fillPlan, the same the service fills with.
 */
export function fillConfigdrive(text: string, node: Pick<ConductorNodeT, 'instance_info'>): string {
  if (!hasConfigdrivePlaceholder(text)) return text;
  const cd = node.instance_info.configdrive;
  const given = cd !== undefined && cd !== null && cd !== '';
  return JSON.stringify(fillPlan(JSON.parse(text) as Record<string, unknown>, given ? { configdrive: cd } : {}));
}

function inline(value: unknown, what: string): string {
  if (typeof value === 'string') {
    if (MASKED.test(value)) throw new AnvilError('plan.masked', `${what} reached the agent masked by Ironic ("${value}"): keys containing words such as token, password or secret are hidden from the ramdisk; serve the plan from the driver-service instead`);
    return value;
  }
  return JSON.stringify(value);
}

/** The capability URL asking for a layout by name (the deploy step's `layout` argument). */
function withLayout(metadataUrl: string, layout: string): string {
  const u = new URL(metadataUrl);
  u.searchParams.set(LAYOUT_QUERY, layout);
  return u.toString();
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
  const meta = node.driver_info[METADATA_URL_KEY];
  if (typeof meta === 'string' && meta) {
    if (MASKED.test(meta)) throw new AnvilError('plan.masked', 'driver_info.anvil_metadata_url reached the agent masked by Ironic; re-adopt the node so the URL carries its secret in the path');
    const url = a.data.layout ? withLayout(meta, a.data.layout) : meta;
    return { text: fillConfigdrive(await fetchText(url, log, 'driver_info.anvil_metadata_url'), node), origin: 'driver_info.anvil_metadata_url', name: redactUrl(url) };
  }
  const ii = node.instance_info;
  if (ii.anvil_plan !== undefined && ii.anvil_plan !== null) return { text: inline(ii.anvil_plan, 'instance_info.anvil_plan'), origin: 'instance_info.anvil_plan', name: 'instance_info.anvil_plan' };
  // Root device hints where Ironic keeps them: instance_info.root_device overrides properties.root_device.
  const hints = ii.root_device ?? node.properties.root_device;
  const plan = await planFromInstanceInfo(hints !== undefined && ii.root_device === undefined ? { ...ii, root_device: hints } : ii, node.uuid, await inventory(), log);
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
