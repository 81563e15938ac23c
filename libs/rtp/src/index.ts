// @app/rtp: the protocol side of the media gateway. Pure functions and small classes over
// Buffers: no Nest, no I/O, no runtime dependencies. See ingest.ts for the whole pipeline.
export * from './errors';
export * from './deframer';
export * from './rtp-header';
export * from './rtcp';
export * from './rtp-stats';
export * from './ps-stream-types';
export * from './ps-probe';
export * from './ps-sink';
export * from './ingest';
export * from './ssrc';
