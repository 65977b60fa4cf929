import { AnvilError } from '@anvil/shared';
import { startCluster } from './cluster';
import { loadConfig } from './config';

/** `anvil-driver-service [--config FILE]`: configuration from the file and ANVIL_* variables; `workers` processes. */
export async function main(argv: readonly string[]): Promise<number> {
  const i = argv.indexOf('--config');
  const file = i >= 0 ? argv[i + 1] : process.env.ANVIL_CONFIG;
  try {
    const service = await startCluster(loadConfig(file));
    await new Promise<void>((resolve) => {
      // A SIGTERM to the process group reaches the primary and its workers; the primary sends its own to
      // the workers as it stops them: the second one is not a reason to exit at once.
      let stopping = false;
      const stop = (): void => {
        if (stopping) return;
        stopping = true;
        void service.close().then(resolve);
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
    return 0;
  } catch (err) {
    if (err instanceof AnvilError) {
      process.stderr.write(`anvil-driver-service: ${err.message} [${err.code}]\n`);
      return 1;
    }
    throw err;
  }
}
