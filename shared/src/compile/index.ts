export * from './actions';
export * from './compile';
export * from './devices';
export * from './tools';
export { derivedUuid, derivedVolumeId } from './uuids';
export { DECOMPRESSORS, IMAGE_HEAD_BYTES, devicePipes, imageZeroCommand } from './phases/images';
export { CONFIG_LABEL } from './phases/finish';
