export * from './actions';
export * from './compile';
export * from './devices';
export * from './tools';
export { derivedUuid, derivedVolumeId } from './uuids';
