export * from './source';
export * from './validate';
export { checkValueBounds, type BoundsKind } from './bounds';
