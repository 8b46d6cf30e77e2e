import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { formatError } from '../../src/core/errors.js';
import { BrokerError } from './broker-error.js';

/** Where `nats-server` is: `$LAMKIT_NATS_SERVER`, else the PATH (Debian installs /usr/sbin/nats-server), else null. */
export function findNatsServer(): string | null {
  const env = process.env.LAMKIT_NATS_SERVER;
  if (env) return existsSync(env) ? env : null;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/bin'];
  for (const d of dirs) if (d && existsSync(join(d, 'nats-server'))) return join(d, 'nats-server');
  return null;
}

/** Options of {@link LocalNatsServer.start}. */
export interface LocalNatsServerOptions {
  /** Require this token. */
  token?: string;
  /** Require this user and password. */
  user?: { name: string; password: string };
  /** Require the NKey of this public user key (`U...`). */
  nkeyUser?: string;
  /** JetStream file store (default: a new temporary directory, removed by `close()`). */
  storeDir?: string;
  /** Port (default: a free loopback port). */
  port?: number;
  /** Require TLS with this server certificate and key (PEM files). */
  tls?: { certFile: string; keyFile: string };
}

/**
 * A `nats-server -js` on loopback, for tests, benchmarks and trying
 * scale-out on one machine: a free port, JetStream with file storage in a
 * temporary directory; `stop()`/`start()` restart it on the same port and
 * store (a broker restart), `close()` kills it and removes the store.
 */
export class LocalNatsServer {
  readonly port: number;
  readonly storeDir: string;
  private readonly bin: string;
  private readonly opts: LocalNatsServerOptions;
  private readonly ownStore: boolean;
  private child: ChildProcess | null = null;
  private log = '';

  private constructor(bin: string, port: number, storeDir: string, ownStore: boolean, opts: LocalNatsServerOptions) {
    this.bin = bin;
    this.port = port;
    this.storeDir = storeDir;
    this.ownStore = ownStore;
    this.opts = opts;
  }

  /** Starts a server; a missing `nats-server` is a {@link BrokerError} saying how to install it. */
  static async start(opts: LocalNatsServerOptions = {}): Promise<LocalNatsServer> {
    const bin = findNatsServer();
    if (!bin) throw new BrokerError(formatError('LocalNatsServer.start', 'nats-server on the PATH (or $LAMKIT_NATS_SERVER)', 'none', 'Install it: apt-get install -y nats-server'));
    const port = opts.port ?? (await freePort());
    const storeDir = opts.storeDir ?? mkdtempSync(join(tmpdir(), 'lamkit-nats-'));
    const server = new LocalNatsServer(bin, port, storeDir, opts.storeDir === undefined, opts);
    await server.resume();
    return server;
  }

  /** `nats://127.0.0.1:<port>` (`tls://` with TLS). */
  get url(): string {
    return `${this.opts.tls ? 'tls' : 'nats'}://127.0.0.1:${this.port}`;
  }

  /** Starts the stopped server again (same port, same store). */
  async resume(): Promise<void> {
    if (this.child) return;
    const args = ['-js', '-sd', this.storeDir, '-a', '127.0.0.1', '-p', String(this.port)];
    if (this.opts.tls) args.push('--tls', '--tlscert', this.opts.tls.certFile, '--tlskey', this.opts.tls.keyFile);
    const o = this.opts;
    if (o.token !== undefined || o.user !== undefined || o.nkeyUser !== undefined) {
      // Secrets go through a config file, not the command line (ps).
      const conf = join(this.storeDir, 'auth.conf');
      const auth = o.token !== undefined
        ? `authorization { token: ${JSON.stringify(o.token)} }`
        : o.user !== undefined
        ? `authorization { user: ${JSON.stringify(o.user.name)}, password: ${JSON.stringify(o.user.password)} }`
        : `authorization { users: [{ nkey: ${JSON.stringify(o.nkeyUser)} }] }`;
      writeFileSync(conf, auth + '\n', { mode: 0o600 });
      args.push('-c', conf);
    }
    const child = spawn(this.bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d) => (this.log = (this.log + String(d)).slice(-4000)));
    this.child = child;
    const t0 = performance.now();
    while (!(await canConnect(this.port))) {
      if (child.exitCode !== null || performance.now() - t0 > 15_000) {
        this.child = null;
        child.kill('SIGKILL');
        throw new BrokerError(formatError('LocalNatsServer.start', `nats-server listening on 127.0.0.1:${this.port}`, `no listener (${child.exitCode !== null ? `exit ${child.exitCode}` : 'timeout'}); log: ${this.log.slice(-500)}`, 'See the log'));
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops the server the way a service manager does (SIGTERM: JetStream flushes its store) and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** Kills the server and removes a store it created. Idempotent. */
  async close(): Promise<void> {
    await this.stop();
    if (this.ownStore) rmSync(this.storeDir, { recursive: true, force: true });
  }
}

/** A port free on loopback now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
