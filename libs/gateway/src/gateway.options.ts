export interface GatewayOptions {
  /** where stream listeners bind (MEDIA_BIND_HOST) */
  bindHost: string;
}

export const GATEWAY_OPTIONS = Symbol('GATEWAY_OPTIONS');
