export * from './archive';
export * from './store';
