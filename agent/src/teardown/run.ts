import { AnvilError, type Action, type Command, type CompiledPlan, type Logger } from '@anvil/shared';
import { toolExists } from '../system/runner';
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
 * The commands that tear down everything stacked on the given disks (device paths), read from the machine
 * now: holders first, then member metadata and signatures, then a udev settle. Refuses (before anything runs)
 * when a tool is missing or a holder also sits on a disk the plan does not name.
 */
export function teardownCommands(log: Logger, devices: readonly string[], allNamed: readonly string[] = devices, options: TeardownOptions = {}): Command[] {
  const strip = (d: string): string => d.replace(/^\/dev\//, '');
  const names = devices.map(strip);
  const tree = readBlockTree(options.sysRoot, options.procRoot);
  log.info({ tree: formatTree(tree, names) }, 'holders before teardown');
  const commands: Command[] = [];
  for (const step of planTeardown(tree, names, allNamed.map(strip))) {
    for (const argv of commandsFor(step)) {
      if (!toolExists(argv[0]!)) {
        throw new AnvilError('teardown.tool_missing', `${argv[0]} is needed to ${step.op} ${step.device} but is not installed`);
      }
      commands.push({ argv });
    }
  }
  if (commands.length) commands.push({ argv: ['udevadm', 'settle', '--timeout=30'], okCodes: [1], when: { tools: ['udevadm'] } });
  return commands;
}

/** The compiled plan with its teardown planned on this machine (what `provision --dry-run` shows). */
export function resolveTeardown(compiled: CompiledPlan, log: Logger, options: TeardownOptions = {}): CompiledPlan {
  const actions = compiled.actions.map((a): Action => (a.kind === 'teardown' ? { ...a, commands: teardownCommands(log, a.devices, compiled.disks, options) } : a));
  return { ...compiled, actions };
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
