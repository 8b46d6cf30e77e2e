import { existsSync, readFileSync } from 'node:fs';
import { InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';

/** The broker flags shared by `lamkit worker` and `lamkit train --broker` (strings as commander hands them over). */
export interface BrokerFlags {
  /** `nats://host:4222` (or `tls://`, or a comma-separated list of servers of one cluster). */
  broker?: string;
  /** Name of the run on the broker: streams, buckets and subjects are named after it (default `lamkit`). */
  brokerRun?: string;
  /** Token auth (default: `$LAMKIT_BROKER_TOKEN`). */
  brokerToken?: string;
  /** User/password auth; the password defaults to `$LAMKIT_BROKER_PASSWORD`. */
  brokerUser?: string;
  brokerPassword?: string;
  /** NKey auth: a file holding the user's seed (`SU...`). */
  brokerNkeySeed?: string;
  /** Decentralized JWT auth: a `.creds` file (`nsc generate creds`). */
  brokerCreds?: string;
  /** TLS: CA bundle to verify the server, client certificate and key (mutual TLS). */
  brokerTlsCa?: string;
  brokerTlsCert?: string;
  brokerTlsKey?: string;
}

/** Parsed broker settings (secrets included: never print this object). */
export interface BrokerOptions {
  servers: string[];
  /** The servers as printed in messages (without credentials in the URL). */
  shownServers: string;
  /** Valid in stream, bucket and subject names: `[A-Za-z0-9_-]+`. */
  run: string;
  token?: string;
  user?: string;
  pass?: string;
  /** Seed bytes of an NKey (read from `--broker-nkey-seed`). */
  nkeySeed?: Uint8Array;
  /** Contents of a `.creds` file. */
  creds?: Uint8Array;
  /** TLS file paths; present (possibly empty) for `tls://` servers or any `--broker-tls-*` flag. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
}

/** The broker flags that need `--broker`. */
const DEPENDENT_FLAGS: Array<[keyof BrokerFlags, string]> = [
  ['brokerRun', '--broker-run'], ['brokerToken', '--broker-token'], ['brokerUser', '--broker-user'], ['brokerPassword', '--broker-password'],
  ['brokerNkeySeed', '--broker-nkey-seed'], ['brokerCreds', '--broker-creds'], ['brokerTlsCa', '--broker-tls-ca'], ['brokerTlsCert', '--broker-tls-cert'], ['brokerTlsKey', '--broker-tls-key'],
];

/**
 * Validates the broker flags of `command` (`lamkit worker`, `lamkit train`);
 * null without `--broker` (then the other broker flags are refused). One
 * auth method at most; files must exist; the password and token may come
 * from `$LAMKIT_BROKER_PASSWORD` / `$LAMKIT_BROKER_TOKEN` so they stay out
 * of `ps` listings.
 */
export function parseBrokerFlags(flags: BrokerFlags, command: string, env: NodeJS.ProcessEnv = process.env): BrokerOptions | null {
  if (flags.broker === undefined) {
    for (const [key, flag] of DEPENDENT_FLAGS) {
      if (flags[key] !== undefined) throw new InvalidArgument(formatError(`${command} ${flag}`, 'no such flag without --broker', describeValue(flag.includes('token') || flag.includes('password') ? '(hidden)' : flags[key]), 'Add --broker nats://host:4222, or drop the flag'));
    }
    return null;
  }
  const servers = flags.broker.split(',').map((s) => s.trim());
  for (const s of servers) {
    let url: URL | null = null;
    try {
      url = new URL(s);
    } catch {
      url = null;
    }
    if (!url || !['nats:', 'tls:'].includes(url.protocol) || url.hostname === '') {
      throw new InvalidArgument(formatError(`${command} --broker`, 'a NATS server URL such as nats://host:4222 (or tls://host:4222; several separated by commas)', describeValue(stripCredentials(s)), 'Pass e.g. --broker nats://127.0.0.1:4222'));
    }
  }
  const run = flags.brokerRun ?? 'lamkit';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(run)) {
    throw new InvalidArgument(formatError(`${command} --broker-run`, 'a name of 1-64 letters, digits, _ or -', describeValue(run), 'Pass e.g. --broker-run arm-reach'));
  }
  const token = flags.brokerToken ?? (flags.brokerUser === undefined && flags.brokerNkeySeed === undefined && flags.brokerCreds === undefined ? env.LAMKIT_BROKER_TOKEN : undefined);
  const pass = flags.brokerPassword ?? (flags.brokerUser !== undefined ? env.LAMKIT_BROKER_PASSWORD : undefined);
  const methods = [token !== undefined && '--broker-token', flags.brokerUser !== undefined && '--broker-user', flags.brokerNkeySeed !== undefined && '--broker-nkey-seed', flags.brokerCreds !== undefined && '--broker-creds'].filter(Boolean);
  if (methods.length > 1) {
    throw new InvalidArgument(formatError(`${command} ${methods[1]}`, 'one auth method (token, user/password, nkey or creds)', `${methods.join(' and ')}`, 'Keep the one the server is configured for'));
  }
  if (pass !== undefined && flags.brokerUser === undefined) {
    throw new InvalidArgument(formatError(`${command} --broker-password`, 'it together with --broker-user', 'no --broker-user', 'Add --broker-user <name>'));
  }
  if (flags.brokerUser !== undefined && pass === undefined) {
    throw new InvalidArgument(formatError(`${command} --broker-user`, 'a password (--broker-password or $LAMKIT_BROKER_PASSWORD)', 'none', 'Set LAMKIT_BROKER_PASSWORD (kept out of ps listings) or pass --broker-password'));
  }
  const file = (flag: string, path: string | undefined): string | undefined => {
    if (path !== undefined && !existsSync(path)) throw new InvalidArgument(formatError(`${command} ${flag}`, 'an existing file', `${describeValue(path)} (no such file)`, 'Fix the path'));
    return path;
  };
  const nkeyFile = file('--broker-nkey-seed', flags.brokerNkeySeed);
  const credsFile = file('--broker-creds', flags.brokerCreds);
  const tlsFiles = { caFile: file('--broker-tls-ca', flags.brokerTlsCa), certFile: file('--broker-tls-cert', flags.brokerTlsCert), keyFile: file('--broker-tls-key', flags.brokerTlsKey) };
  if ((tlsFiles.certFile === undefined) !== (tlsFiles.keyFile === undefined)) {
    throw new InvalidArgument(formatError(`${command} ${tlsFiles.certFile ? '--broker-tls-key' : '--broker-tls-cert'}`, 'a client certificate and its key together (mutual TLS)', 'only one of them', 'Pass both --broker-tls-cert and --broker-tls-key, or neither'));
  }
  const anyTls = servers.some((s) => s.startsWith('tls:')) || Object.values(tlsFiles).some((v) => v !== undefined);
  const opts: BrokerOptions = { servers, shownServers: servers.map(stripCredentials).join(','), run };
  if (token !== undefined) opts.token = token;
  if (flags.brokerUser !== undefined) {
    opts.user = flags.brokerUser;
    opts.pass = pass;
  }
  if (nkeyFile !== undefined) opts.nkeySeed = new TextEncoder().encode(readFileSync(nkeyFile, 'utf8').trim());
  if (credsFile !== undefined) opts.creds = readFileSync(credsFile);
  if (anyTls) opts.tls = Object.fromEntries(Object.entries(tlsFiles).filter(([, v]) => v !== undefined));
  return opts;
}

/** A server URL without any `user:password@` part (for messages and logs). */
export function stripCredentials(server: string): string {
  return server.replace(/\/\/[^/@]*@/, '//');
}
