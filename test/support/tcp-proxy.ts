import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** a postgres:// URL through this proxy, from one that names the real server */
  url(base: string): string;
  /** the database goes away: every connection through the proxy is reset and new ones are refused */
  cut(): Promise<void>;
  /** the database is back: new connections pass again */
  restore(): Promise<void>;
  /**
   * The network black-holes: connections stay open (and new ones are accepted) but nothing is
   * forwarded either way, as when a route or a firewall drops packets. Bytes sent meanwhile
   * wait in the sockets, as TCP retransmits them, and arrive on forward().
   */
  blackhole(): void;
  /** the network carries packets again */
  forward(): void;
  close(): Promise<void>;
}

interface Link {
  client: Socket;
  upstream: Socket;
}

/**
 * A TCP proxy on 127.0.0.1 in front of a real server, so a test can take "the database" away
 * from one service process without touching the server other tests use.
 */
export async function startTcpProxy(target: { host: string; port: number }, listenPort = 0): Promise<TcpProxy> {
  const links = new Set<Link>();
  let server: Server;
  let port = listenPort;
  let holes = false;
  const join = (l: Link) => {
    l.client.pipe(l.upstream);
    l.upstream.pipe(l.client);
  };
  const part = (l: Link) => {
    l.client.unpipe(l.upstream);
    l.upstream.unpipe(l.client);
    l.client.pause();
    l.upstream.pause();
  };
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const link = { client, upstream: connect(target.port, target.host) };
        links.add(link);
        const drop = () => {
          link.client.destroy();
          link.upstream.destroy();
          links.delete(link);
        };
        client.on('error', drop).on('close', drop);
        link.upstream.on('error', drop).on('close', drop);
        if (holes) part(link);
        else join(link);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const l of links) {
        l.client.resetAndDestroy();
        l.upstream.resetAndDestroy();
      }
      links.clear();
      server.close(() => resolve());
    });
  await listen();
  return {
    get port() {
      return port;
    },
    url(base: string) {
      const u = new URL(base);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut: stop,
    restore: listen,
    blackhole() {
      holes = true;
      for (const l of links) part(l);
    },
    forward() {
      holes = false;
      for (const l of links) join(l);
    },
    close: stop,
  };
}
