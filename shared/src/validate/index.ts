export * from './source';
export * from './validate';
