export * from './batch-udp-socket';
export { udpBatchAddon, UdpBatchUnavailableError, UDP_BATCH_ADDON_ENV } from './load-addon';
export * from './receive-area';
export * from './interface-name';
