import type { NatsConnection, ConnectionOptions } from '@nats-io/transport-node';
import { formatError } from '../../src/core/errors.js';
import { BrokerError } from './broker-error.js';
import type { BrokerOptions } from './broker-options.js';

/**
 * Connects to the NATS server(s) of `opts` (the client loads here, not at
 * import time). Reconnects forever after the first connection (a broker
 * restart is survived, see docs/scale-out.md); the first connection's
 * failure is a {@link BrokerError} naming the server: refused credentials,
 * nothing listening, a TLS mismatch.
 * @param where the command and flag in messages, e.g. `lamkit worker --broker`.
 * @param name the client name the server's monitoring shows.
 */
export async function connectBroker(opts: BrokerOptions, where: string, name: string): Promise<NatsConnection> {
  const nats = await import('@nats-io/transport-node');
  const options: ConnectionOptions = {
    servers: opts.servers,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    timeout: 10_000,
    pingInterval: 10_000,
  };
  if (opts.token !== undefined) options.token = opts.token;
  if (opts.user !== undefined) {
    options.user = opts.user;
    options.pass = opts.pass;
  }
  if (opts.nkeySeed) options.authenticator = nats.nkeyAuthenticator(opts.nkeySeed);
  if (opts.creds) options.authenticator = nats.credsAuthenticator(opts.creds);
  if (opts.tls) options.tls = opts.tls;
  try {
    return await nats.connect(options);
  } catch (err) {
    throw connectError(err, where, opts);
  }
}

/** A failed first connection as a typed error that names the server and the likely fix. */
export function connectError(err: unknown, where: string, opts: BrokerOptions): BrokerError {
  const text = `${(err as Error)?.name ?? ''}: ${(err as Error)?.message ?? String(err)}`;
  const server = opts.shownServers;
  const auth = opts.token !== undefined ? 'token' : opts.user !== undefined ? `user ${JSON.stringify(opts.user)} and password` : opts.nkeySeed ? 'nkey' : opts.creds ? 'creds' : 'no credentials';
  if (/authoriz|authenticat|auth.*(violation|required|expired)/i.test(text)) {
    return new BrokerError(formatError(where, `credentials that ${server} accepts`, `'${(err as Error).message}' from ${server} (sent: ${auth})`, 'Check --broker-token ($LAMKIT_BROKER_TOKEN), --broker-user + --broker-password ($LAMKIT_BROKER_PASSWORD), --broker-nkey-seed or --broker-creds against the server config'), { cause: err });
  }
  if (/tls|ssl|certificate|handshake/i.test(text)) {
    return new BrokerError(formatError(where, `a TLS setup that ${server} accepts`, `'${(err as Error).message}'`, 'Use tls:// with --broker-tls-ca for a server with TLS (and --broker-tls-cert/--broker-tls-key when it verifies clients), nats:// without'), { cause: err });
  }
  return new BrokerError(formatError(where, `a NATS server reachable at ${server}`, `'${(err as Error)?.message ?? String(err)}'`, 'Start one with `nats-server -js -sd <dir>` (docs/scale-out.md), or fix --broker'), { cause: err });
}
