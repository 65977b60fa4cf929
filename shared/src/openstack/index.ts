export * from './http';
export * from './keystone';
export * from './ironic';
export * from './glance';
