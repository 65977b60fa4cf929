export { startService, type RunningService } from './server';
export { loadConfig, ServiceConfig, type ServiceConfigT } from './config';
export { main } from './main';
