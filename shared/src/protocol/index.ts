/** The contracts that cross agent ↔ driver-service (↔ a conductor plugin): one zod schema or helper each. */
export * from './registry';
export * from './progress';
export * from './deployment';
export * from './capability';
export * from './redact';
export * from './plan-fill';
export * from './instance-info';
export * from './instance-flavor';
export * from './validation';
