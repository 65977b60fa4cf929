export { startService, type RunningService, type StartOptions } from './server';
export { startCluster } from './cluster';
export { loadConfig, ServiceConfig, type ServiceConfigT } from './config';
export { main } from './main';
