import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { flushLogs } from '../logging/log-destination';

const SHUTDOWN_DEADLINE_MS = 8000;

export type Crash = (what: string, err: unknown) => void;
/** Ends the process the orderly way (sockets closed, leases left to resume) with this exit code. */
export type Stop = (reason: string, code: number) => void;

/**
 * How the process ends. SIGTERM/SIGINT: close every socket (the gateway awaits each close),
 * leave the leases for the next start, exit 0. Nest's enableShutdownHooks() would re-raise the
 * signal and exit non-zero, which the contract does not allow.
 *
 * A failure nothing handled (an uncaught exception, an unhandled rejection, an error of the
 * HTTP server after listen) leaves the process in a state no one reasoned about: it is logged
 * as a fatal line with its stack and the process takes the same way out (sockets closed,
 * leases left to resume), then exits 1 so that a supervisor restarts it. Whatever happens
 * while closing, the process is gone within SHUTDOWN_DEADLINE_MS.
 */
export function installProcessLifecycle(app: NestExpressApplication): { crash: Crash; stop: Stop } {
  const logger = app.get(Logger);
  // NestApplicationContext.close(signal) hands the reason to beforeApplicationShutdown (which
  // logs it with the listeners it closed); the public interface does not declare the argument.
  const close = (app as unknown as { close(signal?: string): Promise<void> }).close.bind(app);
  let closing = false;
  const stop: Stop = (reason, code) => {
    if (closing) return;
    closing = true;
    setTimeout(() => {
      flushLogs();
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    close(reason)
      .then(() => {
        flushLogs();
        process.exit(code);
      })
      .catch((err) => {
        process.stderr.write(`portledger: shutdown after ${reason} failed: ${err}\n`);
        flushLogs();
        process.exit(1);
      });
  };
  const crash: Crash = (what, err) => {
    const error = err instanceof Error ? err : new Error(String(err));
    logger.fatal(
      { err: error, msg: `${what}: ${error.message}; ${closing ? 'already shutting down' : 'shutting down (exit 1)'}` },
      'Process',
    );
    stop(what, 1);
  };
  process.on('SIGTERM', () => stop('SIGTERM', 0));
  process.on('SIGINT', () => stop('SIGINT', 0));
  process.on('uncaughtException', (err) => crash('uncaught exception', err));
  process.on('unhandledRejection', (reason) => crash('unhandled rejection', reason));
  return { crash, stop };
}
