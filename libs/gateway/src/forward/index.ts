export * from './create-forwarder';
export * from './forward-budget';
export * from './forward-stats';
export * from './forward-target';
export * from './lease-forwarder';
export * from './lease-forward';
export { DEFAULT_FORWARD_BATCH_MS, MAX_FORWARD_BATCH_MS } from './forward-ticker';
