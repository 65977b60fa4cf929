import { buildSync } from 'esbuild';
import { join } from 'node:path';

/** The CLI every bin of the agent runs (`anvil`, `anvil-agent`); the bundle starts there. */
const ENTRY = join(__dirname, '../cli/run.ts');

/**
 * The agent as a ramdisk carries it: one esbuild bundle of the CLI (agent/src/cli/run.ts), without tsx, so a
 * boot image needs only `node` and this one file. Product code rather than a test helper: the VM suite, the
 * image-stream bench and a bootstrap-image builder all ship the same bundle.
 */
export function bundleAgent(outfile: string): void {
  buildSync({
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    target: 'node20',
    // ESM builds first where a package ships both, as the CLI flags used before (--main-fields=module,main).
    mainFields: ['module', 'main'],
    // `anvil bootstrap build` bundles the agent with esbuild on the build host; the ramdisk never builds one.
    external: ['esbuild'],
    outfile,
    logLevel: 'warning',
  });
}
