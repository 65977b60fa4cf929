/** Entry point for bundles (the ramdisk's anvil.cjs): the same CLI as bin/anvil.cjs, without tsx. */
import { main } from './main';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`anvil: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
