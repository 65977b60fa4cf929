import { existsSync } from 'node:fs';

/**
 * The lab network (scripts/lab/net.sh): namespace anvil-lab, bridge lab-br0 at LAB_ADDR, taps lab-tap0… The
 * e2e suite runs inside the namespace (scripts/e2e.sh), so services bind LAB_ADDR and only the emulated
 * servers on the bridge can reach them.
 */
export const LAB_ADDR = process.env.ANVIL_LAB_ADDR ?? '10.213.7.1';
export const LAB_BRIDGE = 'lab-br0';

/** Whether this process runs inside the lab's namespace (the bridge is one of its interfaces). */
export function inLab(): boolean {
  return existsSync(`/sys/class/net/${LAB_BRIDGE}`);
}
