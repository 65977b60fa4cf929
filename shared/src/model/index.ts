export * from './model';
export * from './policy';
export * from './checksum';
export * from './configdrive';
export * from './esp';
