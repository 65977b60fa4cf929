import { AnvilError, type Logger } from '@anvil/shared';
import { toolExists, type Runner } from '../system/runner';
import { baseDisks, formatTree, planTeardown, type TeardownStep } from './plan';
import { readBlockTree, type BlockTree } from './tree';

function commandsFor(step: TeardownStep): string[][] {
  switch (step.op) {
    case 'umount':
      return [['umount', '--lazy', step.mountpoint]];
    case 'swapoff':
      return [['swapoff', step.device]];
    case 'lvm-deactivate':
      return [['dmsetup', 'remove', '--retry', step.dmName]];
    case 'dm-remove':
      return [['dmsetup', 'remove', '--retry', step.dmName]];
    case 'md-stop':
      return [['mdadm', '--stop', step.device]];
    case 'md-zero':
      return [['mdadm', '--zero-superblock', '--force', step.device], ['wipefs', '--all', '--force', step.device]];
    case 'wipe-signatures':
      return [['wipefs', '--all', '--force', step.device]];
  }
}

export interface TeardownOptions {
  readonly sysRoot?: string;
  readonly procRoot?: string;
}

/**
 * Tears down everything stacked on the given disks (device paths), then checks that nothing is left.
 * LVM PV labels, md superblocks at every metadata location and filesystem signatures go with wipefs and
 * mdadm --zero-superblock.
 */
export async function teardownDisks(runner: Runner, log: Logger, devices: readonly string[], allNamed: readonly string[] = devices, options: TeardownOptions = {}): Promise<TeardownStep[]> {
  const strip = (d: string): string => d.replace(/^\/dev\//, '');
  const names = devices.map(strip);
  const tree = readBlockTree(options.sysRoot, options.procRoot);
  log.info({ tree: formatTree(tree, names) }, 'holders before teardown');
  const steps = planTeardown(tree, names, allNamed.map(strip));
  for (const step of steps) {
    for (const argv of commandsFor(step)) {
      if (!toolExists(argv[0]!)) {
        throw new AnvilError('teardown.tool_missing', `${argv[0]} is needed to ${step.op} ${step.device} but is not installed`);
      }
      await runner.run(argv);
    }
  }
  if (toolExists('udevadm')) await runner.run(['udevadm', 'settle', '--timeout=30'], { allowFail: true });
  assertClear(readBlockTree(options.sysRoot, options.procRoot), names);
  return steps;
}

/** Nothing may remain stacked on, mounted from, or swapping on the named disks. */
export function assertClear(tree: BlockTree, names: readonly string[]): void {
  const left: string[] = [];
  for (const n of tree.values()) {
    const onNamed = [...baseDisks(tree, n.name)].some((d) => names.includes(d));
    if (!onNamed) continue;
    if ((n.kind === 'md' || n.kind === 'dm') || n.mountpoints.length || n.swap) left.push(n.name);
  }
  if (left.length) throw new AnvilError('teardown.not_clear', `still in use after teardown: ${left.join(', ')}\n${formatTree(tree, names)}`);
}
