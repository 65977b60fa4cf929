export { main } from './cli/main';
export { provision, type ProvisionOptions, type ProvisionResult } from './provision';
export { SystemRunner, type Runner, type ExecResult } from './system/runner';
export { readInventory } from './inventory/lsblk';
export { planTeardown, baseDisks, type TeardownStep } from './teardown/plan';
export type { BlockNode, BlockTree } from './teardown/tree';
export { sniffCompression } from './image/decompress';
export type { ProgressEvent, Reporter } from './report/events';
