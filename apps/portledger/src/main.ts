import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { BootSequence } from './boot/boot-sequence';
import { ConfigError, loadDotEnv, loadSettings } from './config/load-settings';
import { configureApp } from './configure-app';
import { flushLogs } from './logging/log-destination';
import { Readiness } from './health';
import { NodeIdHeldError, NodeLock } from '@app/ledger';

const SHUTDOWN_DEADLINE_MS = 8000;

async function main(): Promise<void> {
  loadDotEnv();
  let settings;
  try {
    settings = loadSettings();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`portledger: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(settings), { bufferLogs: true, bodyParser: false });
  configureApp(app, settings);
  const stop = installShutdown(app);
  // Another process took this NODE_ID over (this one was cut off from the ledger for long):
  // stop through the shutdown path, and say so in the exit code.
  app.get(NodeLock).onLost(() => stop('node-lock-lost', 3));
  await app.init();
  // HTTP first, so /health can report a database that is still being retried; every other
  // route answers 503 `starting` (ReadinessGuard) until the boot sequence is done.
  await app.listen(settings.http.port, settings.http.host);
  try {
    await app.get(BootSequence).run();
  } catch (err) {
    if (err instanceof NodeIdHeldError) {
      // Nothing of the node was touched: no lease resumed, no socket opened.
      process.stderr.write(`portledger: ${err.message}\n`);
      flushLogs();
      process.exit(2);
    }
    throw err;
  }
  app.get(Readiness).markReady();
  app.get(BootSequence).logReady(settings.http.host, settings.http.port);
}

/**
 * SIGTERM/SIGINT: close every socket (the gateway awaits each close), leave the leases for
 * the next start, exit 0. Nest's enableShutdownHooks() would re-raise the signal and exit
 * non-zero, which the contract does not allow.
 */
function installShutdown(app: NestExpressApplication): (why: string, exitCode?: number) => void {
  let closing = false;
  const stop = (signal: string, exitCode = 0) => {
    if (closing) return;
    closing = true;
    setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
    app
      .close()
      .then(() => {
        flushLogs();
        process.exit(exitCode);
      })
      .catch((err) => {
        process.stderr.write(`portledger: shutdown after ${signal} failed: ${err}\n`);
        flushLogs();
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return stop;
}

main().catch((err) => {
  process.stderr.write(`portledger: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : err}\n`);
  process.exit(1);
});
