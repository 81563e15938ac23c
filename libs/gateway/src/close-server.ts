import type { Server, Socket } from 'node:net';

/**
 * Stops accepting, destroys the given connections and resolves once the OS socket is closed
 * (the 'close' event), not when the object is dropped (docs/ARCHITECTURE.md#invariants, rule 3).
 */
export function closeServer(server: Server, sockets: Iterable<Socket>): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      for (const s of sockets) s.destroy();
      resolve();
      return;
    }
    server.close(() => resolve());
    for (const s of sockets) s.destroy();
  });
}
