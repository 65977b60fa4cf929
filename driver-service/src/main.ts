import { AnvilError } from '@anvil/shared';
import { loadConfig } from './config';
import { startService } from './server';

/** `anvil-driver-service [--config FILE]`: configuration from the file and ANVIL_* variables. */
export async function main(argv: readonly string[]): Promise<number> {
  const i = argv.indexOf('--config');
  const file = i >= 0 ? argv[i + 1] : process.env.ANVIL_CONFIG;
  try {
    const service = await startService(loadConfig(file));
    await new Promise<void>((resolve) => {
      const stop = (): void => void service.close().then(resolve);
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
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
