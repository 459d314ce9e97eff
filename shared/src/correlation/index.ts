export * from './anchors';
export * from './source-url';
export * from './text-similarity';
