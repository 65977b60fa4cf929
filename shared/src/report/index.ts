export * from './codes';
export * from './report';
