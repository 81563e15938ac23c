import pino from 'pino';

type Destination = ReturnType<typeof pino.destination>;

let destination: Destination | null = null;

/**
 * stdout for JSON logs, written asynchronously (lines of one event-loop turn go out in one
 * syscall). One instance, so the process can flush it before it exits.
 */
export function jsonLogDestination(): Destination {
  destination ??= pino.destination({ dest: 1, sync: false });
  return destination;
}

/** Writes out buffered log lines; call right before process.exit(). */
export function flushLogs(): void {
  try {
    destination?.flushSync();
  } catch {
    // stdout already closed: nothing left to save
  }
}
