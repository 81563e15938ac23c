/** The JavaScript memory a native ReceiveArea writes into (see receive-area.ts). */
export interface ReceiveAreaViews {
  slots: number;
  slotBytes: number;
  stride: number;
  slab: Buffer;
  lengths: Uint32Array;
  flags: Uint8Array;
  ipv4: Uint32Array;
  ports: Uint16Array;
  ipv6: Uint32Array;
  scopes: Uint32Array;
}

/** Opaque: only handed back to the native BatchSocket. */
export type NativeReceiveArea = object;

/** The native socket (libs/udp-batch/native/src/batch_socket.cc); errno names where it fails. */
export interface NativeBatchSocket {
  bind(family: 4 | 6, host: string, port: number, recvBufferBytes: number): string | undefined;
  connect(family: 4 | 6, host: string, port: number): string | undefined;
  localPort(): number;
  recvBufferSize(): number;
  sendFramed(frames: Buffer, headerBytes: number, from: number): number;
  sendErrors(): number;
  /** true: `onClosed` will run once the descriptor is closed; false: nothing to wait for */
  close(onClosed: () => void): boolean;
}
