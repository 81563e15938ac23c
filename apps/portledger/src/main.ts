import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { BootSequence } from './boot/boot-sequence';
import { installProcessLifecycle } from './boot/process-lifecycle';
import { installTestCrash } from './boot/test-crash';
import { ConfigError, loadDotEnv, loadSettings } from './config/load-settings';
import { configureApp } from './configure-app';
import { exactRoutingAdapter } from './http/exact-routing';
import { Readiness } from './health';
import { flushLogs } from './logging/log-destination';
import { NodeIdHeldError, NodeLock } from '@app/leasing';

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
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(settings), exactRoutingAdapter(), {
    bufferLogs: true,
    bodyParser: false,
  });
  configureApp(app, settings);
  const { crash, stop } = installProcessLifecycle(app);
  // Another process took this NODE_ID over (this one was cut off from the ledger for long):
  // stop through the shutdown path, and say so in the exit code.
  app.get(NodeLock).onLost(() => stop('node-lock-lost', 3));
  await app.init();
  // HTTP first, so /health can report a database that is still being retried; every other
  // route answers 503 `starting` (ReadinessGuard) until the boot sequence is done.
  await app.listen(settings.http.port, settings.http.host);
  const server = app.getHttpServer();
  // Before listen, a failure rejects listen() and main() ends the start; after it, nothing else listens.
  server.on('error', (err: Error) => crash('HTTP server error', err));
  if (settings.testCrashOnSigusr2) installTestCrash(settings.testCrashOnSigusr2, server);
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

main().catch((err) => {
  process.stderr.write(`portledger: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : err}\n`);
  flushLogs();
  process.exit(1);
});
