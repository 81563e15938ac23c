export * from './bind.error';
export * from './gateway-events';
export * from './gateway.module';
export * from './gateway.options';
export * from './lease-binding';
export * from './listener-pair';
export * from './media-gateway.service';
