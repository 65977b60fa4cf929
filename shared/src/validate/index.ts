export * from './codes';
export * from './report';
export * from './source';
export * from './model';
export * from './validate';
export { checksumFromHex, parseChecksum } from './rules/images';
export { decodeConfigdriveString, configdriveBytes, CONFIGDRIVE_MAX } from './rules/configdrive';
export { isKept, dataPolicy } from './rules/policy';
