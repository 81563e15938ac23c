export * from './domain.error';
export * from './lease-not-found.error';
export * from './stream-conflict.error';
export * from './port-range-exhausted.error';
export * from './lease-ended.error';
export * from './ledger-unavailable.error';
export * from './foreign-node.error';
export * from './record-path-refused.error';
