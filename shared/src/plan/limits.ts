/**
 * What a plan may hold, at most. These bounds are not rules about disks (those are the validator's, with their
 * own codes); they keep one hostile or mistaken plan from costing seconds of CPU and gigabytes of memory in
 * whatever reads it: the CLI, the agent, the driver-service. They are checked before anything expensive runs
 * (before the position-keeping parse of JSON text, before YAML is turned into data, before the schema, before any
 * recursive code), by shared/src/validate/bounds.ts, and a plan beyond one is refused with `plan.too_large`,
 * `plan.too_deep`, `plan.too_many` or `plan.string_too_long` (docs/reference/validation-codes.md).
 *
 * Each value is generous for real machines: a plan within every bound is still a plan no server needs.
 */
export const PLAN_LIMITS = {
  /**
   * Characters of plan text. The largest honest part of a plan is an inline config drive (below); everything
   * else of the largest plan these counts allow stays far under this.
   */
  textChars: 32 * 1024 * 1024,
  /**
   * Nesting of objects and lists. A plan's own fields go 8 deep (/disks/0/partitions/0/logical/0/flags/0); the
   * config drive's free-form JSON (meta_data, network_data, user_data) adds its own few levels. JSON.parse and
   * the YAML composer, the plan filler and the schema recurse, so this bound is checked before any of them.
   */
  depth: 64,
  /**
   * Values (objects, lists, strings, numbers, booleans, nulls) in the whole plan. A rack-sized server (512
   * disks of four partitions each, with their arrays, volumes and filesystems) is some 40,000.
   */
  values: 200_000,
  /** Characters of an object key. The plan's own keys are short; free-form config drive keys rarely pass 64. */
  keyChars: 256,
  /** Characters of a string with no bound of its own below: ids, names, paths (PATH_MAX is 4096), selectors. */
  stringChars: 4096,
  /** Items of a list (or keys of an object) with no bound of its own below. */
  items: 4096,
  /** Characters of a description: the plan's `metadata.description`, and a stored layout's. */
  descriptionChars: 4096,
  /** Bound entries reported before the scan stops (a plan with more problems than that is refused with these). */
  entries: 50,
} as const;

/** The largest size a plan may state: 2^63 − 1 bytes (8 EiB), the largest offset Linux addresses (loff_t). */
export const MAX_SIZE_BYTES = 2n ** 63n - 1n;

/** A bound of its own for one place of the plan: `path` is a JSON pointer, `*` one segment, `**` any below. */
export interface PlaceLimit {
  readonly path: string;
  /** Items of the list (keys of the object) there. */
  readonly items?: number;
  /** Items of all the lists at this place together, in the whole plan (e.g. partitions of all disks). */
  readonly total?: number;
  /** Characters of the string there. */
  readonly chars?: number;
  /** Why this value (it is the reference's comment). */
  readonly why: string;
}

export const PLACE_LIMITS: readonly PlaceLimit[] = [
  { path: '/disks', items: 512, why: 'the largest JBOD chains (4 × 102 bays) with a few boot disks; the kernel names thousands, no plan needs them' },
  {
    path: '/disks/*/partitions',
    items: 128,
    total: 4096,
    why: 'a GPT holds 128 entries as partitioning tools create it (an MBR table 4 primary partitions); 4096 in all is eight on each of the most disks',
  },
  { path: '/disks/*/partitions/*/logical', items: 128, total: 4096, why: 'logical partitions of an MBR extended partition; the kernel reads 256 partitions per disk at most' },
  { path: '/disks/*/partitions/*/flags', items: 16, why: 'there are 9 partition flags' },
  { path: '/disks/*/partitions/*/logical/*/flags', items: 16, why: 'there are 9 partition flags' },
  { path: '/raids', items: 512, why: 'one array per pair of the largest disk count' },
  { path: '/raids/*/members', items: 384, total: 8192, why: 'an MD 1.x superblock records at most 384 devices; all arrays together use each disk and partition once' },
  { path: '/raids/*/spares', items: 384, total: 8192, why: 'spares are devices of the same superblock' },
  { path: '/volume_groups', items: 512, why: 'one VG per disk of the largest disk count' },
  { path: '/volume_groups/*/pvs', items: 1024, total: 8192, why: 'every partition of several disks; LVM itself has no smaller limit' },
  { path: '/volume_groups/*/logical_volumes', items: 1024, total: 4096, why: 'far more than one VG metadata area (1 MiB by default) describes comfortably' },
  { path: '/filesystems', items: 4096, why: 'one per partition, array and volume of a large server' },
  { path: '/filesystems/*/mkfs_options', items: 128, why: 'mkfs arguments, one per item' },
  { path: '/filesystems/*/mount/options', items: 128, why: 'mount options, one per item' },
  { path: '/images', items: 256, why: 'one image per disk or filesystem of any real deploy' },
  { path: '/images/*/source/url', chars: 16 * 1024, why: 'signed object-store URLs (temp URLs, presigned S3) run to a few thousand characters' },
  { path: '/images/*/source/headers', items: 64, why: 'a few HTTP headers' },
  { path: '/images/*/source/headers/*', chars: 16 * 1024, why: 'a bearer token (a JWT) can run to several thousand characters' },
  { path: '/images/*/source/glance/token', chars: 16 * 1024, why: 'Keystone tokens (Fernet: ~250; the old PKI ones: up to ~10,000)' },
  { path: '/metadata/description', chars: PLAN_LIMITS.descriptionChars, why: 'a description for people, not a document' },
  { path: '/bootloader/targets', items: 512, why: 'every disk of the largest disk count' },
  { path: '/bootloader/kernel_params', items: 256, why: 'a kernel command line is at most 2048–4096 bytes on x86' },
  {
    path: '/configdrive/source',
    chars: 24 * 1024 * 1024,
    why: 'gzip+base64 of the ISO (Nova caps user_data at 64 KiB, so real ones are kilobytes); a larger one can be an http(s) URL',
  },
  { path: '/configdrive/source/user_data', chars: 1024 * 1024, why: 'Nova caps user_data at 64 KiB; standalone deploys get more room for scripts' },
  { path: '/configdrive/source/**', chars: 64 * 1024, why: 'strings of meta_data, network_data, vendor_data: SSH keys, certificates' },
];
