import type { Server } from 'node:http';
import type { TestCrashKind } from '../config/environment';

/**
 * Test-only (PORTLEDGER_TEST_CRASH_ON_SIGUSR2): on SIGUSR2, fail in the chosen way, so that
 * e2e tests can watch the crash policy of installProcessLifecycle on a real process at a
 * moment they choose (a signal, not a timer: no race with the test's own requests).
 */
export function installTestCrash(kind: TestCrashKind, server: Server): void {
  process.on('SIGUSR2', () => {
    if (kind === 'uncaught-exception') {
      setImmediate(() => {
        throw new Error('test crash: an uncaught exception');
      });
    } else if (kind === 'unhandled-rejection') {
      void Promise.reject(new Error('test crash: an unhandled rejection'));
    } else {
      server.emit('error', new Error('test crash: an HTTP server error'));
    }
  });
}
