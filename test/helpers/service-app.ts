import type { AddressInfo } from 'node:net';
import { serviceApp } from '../../driver-service/src/app';
import type { ServiceDeps } from '../../driver-service/src/deps';

/** The driver-service's express app on a free port of 127.0.0.1, with the deps a unit test hands it. */
export async function serveApp(deps: ServiceDeps): Promise<{ base: string; close: () => Promise<void> }> {
  const server = serviceApp(deps).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}
