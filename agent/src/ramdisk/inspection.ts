import { AnvilError, type Logger } from '@anvil/shared';
import { isRetryable, withRetry } from '@anvil/shared/http';
import { request } from 'undici';
import { introspectionData } from '../inventory/hardware';
import { readInventory } from '../inventory/lsblk';
import { detectFirmware } from '../provision';
import type { Runner } from '../system/runner';
import { inventoryOptions } from './commands/context';
import type { AgentConfigT } from './config';

class Transient extends Error {}

/**
 * Inspection, as IPA does it when Ironic boots the ramdisk with `ipa-inspection-callback-url=`: the hardware
 * inventory posted to ironic-inspector's /v1/continue before the agent looks the node up. Inspector finds the
 * node by its MACs, stores the data and sets cpus, memory_mb, local_gb and cpu_arch; Ironic then powers the node
 * off. Returns inspector's answer (`{"uuid": …}`).
 */
export async function sendInspection(config: AgentConfigT, url: string, runner: Runner, log: Logger): Promise<unknown> {
  const disks = await readInventory(runner, inventoryOptions(config));
  const data = introspectionData(disks, { ...(config.bootif ? { bootMac: config.bootif } : {}), firmware: config.firmware ?? detectFirmware() });
  log.info({ url, disks: data.inventory.disks.length, interfaces: data.inventory.interfaces.length, root_disk: data.root_disk?.name ?? null }, 'sending the inspection data');
  return withRetry(
    async () => {
      let res;
      try {
        res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data), headersTimeout: 60_000, bodyTimeout: 60_000 });
      } catch (err) {
        throw new Transient(err instanceof Error ? err.message : String(err));
      }
      const text = await res.body.text();
      if (res.statusCode >= 200 && res.statusCode < 300) return text ? (JSON.parse(text) as unknown) : {};
      if (res.statusCode >= 500 || isRetryable({ kind: 'status', status: res.statusCode }, { method: 'POST' })) throw new Transient(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
      throw new AnvilError('agent.inspection_refused', `ironic-inspector refused the inspection data: HTTP ${res.statusCode}: ${text.slice(0, 500)}`, { status: res.statusCode }, 502);
    },
    {
      policy: { retries: 5, baseDelayMs: 2000, maxDelayMs: 30_000 },
      retryable: (err) => err instanceof Transient,
      onRetry: (err, attempt) => log.warn({ url, attempt, why: err instanceof Error ? err.message : String(err) }, 'inspection data not delivered; retrying'),
    },
  );
}
