import { basename } from 'node:path';
import { provision } from '../../provision';
import { readInventory } from '../../inventory/lsblk';
import { baseDisks } from '../../teardown/plan';
import { readBlockTree } from '../../teardown/tree';
import { inventoryOptions, type AgentContext } from './context';

/** Disks the running system uses (a mount outside the target root, or swap): never erased. */
function disksInUse(targetRoot: string): Set<string> {
  const tree = readBlockTree();
  const used = new Set<string>();
  for (const n of tree.values()) {
    const foreignMount = n.mountpoints.some((m) => m !== targetRoot && !m.startsWith(`${targetRoot}/`));
    if (foreignMount || n.swap) for (const d of baseDisks(tree, n.name)) used.add(d);
  }
  return used;
}

/**
 * Erases the metadata of every disk (the clean step, and a priority-0 deploy step): a plan that names each
 * disk with nothing on it, so the engine tears down what is stacked on them (LVM, MD at every superblock
 * location, mounts, swap), wipes signatures and zeroes the first and last MiB. Read-only disks and disks
 * the running system uses are left alone.
 */
export async function eraseDisksMetadata(ctx: AgentContext): Promise<string[]> {
  const visible = inventoryOptions(ctx.config);
  const inventory = await readInventory(ctx.runner, visible);
  const inUse = disksInUse(ctx.config.targetRoot);
  const disks = inventory.disks.filter((d) => {
    if (d.read_only) {
      ctx.log.info({ disk: d.name }, 'read-only disk left alone');
      return false;
    }
    if (inUse.has(basename(d.name))) {
      ctx.log.warn({ disk: d.name }, 'disk in use by the running system (mounted or swap) left alone');
      return false;
    }
    return true;
  });
  if (!disks.length) return [];
  const plan = { version: 1, metadata: { name: 'erase-metadata' }, policy: { data: 'clean', wipe: 'metadata' }, disks: disks.map((d, i) => ({ id: `disk${i}`, select: { name: d.name }, table: 'none' })) };
  await provision({
    plan: 'erase-metadata',
    planText: JSON.stringify(plan),
    stateFile: `${ctx.config.stateDir}/erase.state.json`,
    targetRoot: ctx.config.targetRoot,
    inventory: visible,
    runner: ctx.runner,
    log: ctx.log,
    reporter: ctx.reporter,
  });
  return disks.map((d) => d.name);
}
