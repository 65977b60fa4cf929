export * from './common';
export { convertNailgun } from './nailgun';
export { convertBareon } from './bareon';
