import type { CompiledPlan, Logger } from '@anvil/shared';
import type { Runner } from '../../system/runner';
import type { InventoryOptions } from '../../inventory/lsblk';
import type { Reporter } from '../../report/events';
import type { AgentConfigT } from '../config';

/** What the command handlers share. */
export interface AgentContext {
  readonly config: AgentConfigT;
  readonly runner: Runner;
  readonly log: Logger;
  readonly reporter: Reporter;
  /** The last plan the agent resolved, with secrets removed (for collected logs). */
  lastPlan?: { origin: string; name: string; redacted: string };
  /** The last plan the agent provisioned (for get_partition_uuids). */
  lastCompiled?: CompiledPlan;
  /** Recent log lines (for collected logs). */
  readonly recentLog: () => string;
  /** Ends the agent: powers the machine off inside a ramdisk, else stops the daemon. */
  readonly shutdown: (reason: string) => void;
}

/** The disks the agent may see: loop devices only when told (tests), and only the listed ones when a list is given. */
export function inventoryOptions(config: AgentConfigT): InventoryOptions {
  return { includeLoop: config.includeLoop, ...(config.onlyDisks ? { only: config.onlyDisks } : {}) };
}

export const HARDWARE_MANAGER = 'AnvilHardwareManager';
export const HARDWARE_MANAGER_VERSION = '1.0';
export const managerVersions = (): Record<string, string> => ({ [HARDWARE_MANAGER]: HARDWARE_MANAGER_VERSION });

/** Version dicts sent back by the conductor must be ours (or absent). */
export function versionsMatch(sent: unknown): boolean {
  if (sent === undefined || sent === null) return true;
  if (typeof sent !== 'object') return false;
  const mine = managerVersions();
  return Object.entries(sent as Record<string, unknown>).every(([k, v]) => mine[k] === v);
}
