import { z } from 'zod';
import { AnvilError } from '../errors/anvil-error';

/*
 * What a flavor says about one deploy, as Nova writes it into instance_info (nova/virt/ironic/patcher.py):
 * `root_gb`, `swap_mb`, `ephemeral_gb` as strings of integers, `ephemeral_format` when Nova has a default,
 * `preserve_ephemeral` on a rebuild, and `capabilities` as a JSON string of the flavor's `capabilities:*`
 * specs (`boot_mode`, `disk_label`). A standalone Ironic user sets the same keys by hand, as numbers or
 * strings, and `capabilities` as an object. Ironic reads them the same way (GiB for `root_gb` and
 * `ephemeral_gb`, MiB for `swap_mb`); so does a layout's `{{instance.*}}` placeholders (plan-fill.ts).
 */

const Count = z.union([z.number(), z.string()]);

export const InstanceFlavorFields = {
  root_gb: Count.optional(),
  swap_mb: Count.optional(),
  ephemeral_gb: Count.optional(),
  ephemeral_format: z.string().optional(),
  preserve_ephemeral: z.union([z.boolean(), z.string()]).optional(),
  capabilities: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
};

export interface InstanceFlavor {
  /** GiB; absent when instance_info has no root_gb. */
  readonly rootGiB?: number;
  /** MiB; 0 when the flavor has no swap. */
  readonly swapMiB?: number;
  /** GiB; 0 when the flavor has no ephemeral disk. */
  readonly ephemeralGiB?: number;
  readonly ephemeralFormat?: string;
  readonly preserveEphemeral?: boolean;
  readonly bootMode?: 'bios' | 'uefi';
  readonly diskLabel?: 'gpt' | 'msdos';
}

const bad = (message: string): AnvilError => new AnvilError('instance.bad_field', message, {}, 409);

function count(value: unknown, key: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(String(value)) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw bad(`instance_info.${key} must be a whole number of ${key.endsWith('_mb') ? 'MiB' : 'GiB'} (Nova writes it from the flavor), not ${JSON.stringify(value)}`);
  return n;
}

function flag(value: unknown): boolean | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  const s = String(value).trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'off'].includes(s)) return false;
  throw bad(`instance_info.preserve_ephemeral must be true or false, not ${JSON.stringify(value)}`);
}

/** instance_info.capabilities: Nova's JSON string, an object, or Ironic's `key:value,key:value` text. */
export function parseCapabilities(value: unknown): Record<string, string> {
  if (value === undefined || value === null || value === '') return {};
  let o: unknown = value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('{')) {
      try {
        o = JSON.parse(text);
      } catch {
        throw bad('instance_info.capabilities is neither a JSON object nor key:value pairs');
      }
    } else {
      o = Object.fromEntries(text.split(',').filter((p) => p.includes(':')).map((p) => [p.slice(0, p.indexOf(':')).trim(), p.slice(p.indexOf(':') + 1).trim()]));
    }
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw bad('instance_info.capabilities must be an object');
  return Object.fromEntries(Object.entries(o as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], key: string): T | undefined {
  if (value === undefined || value === '') return undefined;
  const v = value.trim().toLowerCase();
  if (!(allowed as readonly string[]).includes(v)) throw bad(`instance_info.capabilities ${key} must be ${allowed.join(' or ')}, not ${JSON.stringify(value)}`);
  return v as T;
}

/**
 * The flavor's part of instance_info, checked; `boot_mode` and `disk_label` from instance_info.capabilities,
 * else from the node's properties.capabilities (Ironic's order). Throws AnvilError `instance.bad_field`.
 */
export function readInstanceFlavor(ii: Record<string, unknown>, properties?: Record<string, unknown>): InstanceFlavor {
  const caps = { ...parseCapabilities(properties?.capabilities), ...parseCapabilities(ii.capabilities) };
  const rootGiB = count(ii.root_gb, 'root_gb');
  const swapMiB = count(ii.swap_mb, 'swap_mb');
  const ephemeralGiB = count(ii.ephemeral_gb, 'ephemeral_gb');
  const format = typeof ii.ephemeral_format === 'string' && ii.ephemeral_format.trim() ? ii.ephemeral_format.trim() : undefined;
  const preserve = flag(ii.preserve_ephemeral);
  const bootMode = oneOf(caps.boot_mode, ['bios', 'uefi'] as const, 'boot_mode');
  const diskLabel = oneOf(caps.disk_label, ['gpt', 'msdos'] as const, 'disk_label');
  return {
    ...(rootGiB !== undefined ? { rootGiB } : {}),
    ...(swapMiB !== undefined ? { swapMiB } : {}),
    ...(ephemeralGiB !== undefined ? { ephemeralGiB } : {}),
    ...(format ? { ephemeralFormat: format } : {}),
    ...(preserve !== undefined ? { preserveEphemeral: preserve } : {}),
    ...(bootMode ? { bootMode } : {}),
    ...(diskLabel ? { diskLabel } : {}),
  };
}
