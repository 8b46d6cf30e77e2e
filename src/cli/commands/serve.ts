import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { InvalidArgument, FileFormatError, formatError, describeValue } from '../../core/errors.js';
import { parseIntFlag, listenError } from '../flags.js';
import { escapeLogText } from '../../bridge/escape-log-text.js';

/** Flags of `lamkit serve`. */
export interface ServeFlags {
  checkpoint: string;
  port?: string;
  host?: string;
  token?: string;
  rosbridge?: string;
  stepTimeoutMs?: string;
  stochastic?: boolean;
  tlsCert?: string;
  tlsKey?: string;
}

/** A running `lamkit serve`. */
export interface ServeHandle {
  port: number;
  /** Episodes finished so far, all robots. */
  readonly episodes: number;
  close(): Promise<void>;
}

/**
 * Starts the policy server: loads the checkpoint's policy, listens for
 * robots (lamkit protocol on '/', rosbridge v2 on '/rosbridge' with
 * `--rosbridge <config.json>`) and drives every robot that connects, each
 * at the control rate it announced (`paceToControlRate`).
 */
export async function startServe(flags: ServeFlags, log: (line: string) => void = () => {}): Promise<ServeHandle> {
  const port = parseIntFlag('lamkit serve --port', flags.port, 0, '8765') ?? 8765;
  if (port > 65535) throw new InvalidArgument(formatError('lamkit serve --port', 'an integer in [0, 65535]', describeValue(flags.port), 'Pass e.g. --port 8765'));
  const stepTimeoutMs = parseIntFlag('lamkit serve --step-timeout-ms', flags.stepTimeoutMs, 1, '1000');
  const token = flags.token ?? process.env.LAMKIT_TOKEN;
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    throw new InvalidArgument(formatError('lamkit serve --tls-cert/--tls-key', 'both or neither', flags.tlsCert ? '--tls-cert only' : '--tls-key only', 'Pass the PEM certificate and its key'));
  }
  const lib = await import('../../index.js');
  const rosbridge = flags.rosbridge ? await lib.loadRosbridgeConfig(flags.rosbridge) : undefined;
  const policy = await lib.loadPolicy(flags.checkpoint);
  let https: import('node:https').Server | undefined;
  if (flags.tlsCert && flags.tlsKey) {
    const read = (f: string): Buffer => {
      try {
        return readFileSync(f);
      } catch (err) {
        throw new FileFormatError(formatError(`lamkit serve (${f})`, 'a readable PEM file', err instanceof Error ? err.message : String(err), 'Check the path'), { cause: err });
      }
    };
    https = (await import('node:https')).createServer({ cert: read(flags.tlsCert), key: read(flags.tlsKey) });
    await new Promise<void>((resolve, reject) => https!.once('error', (err) => reject(listenError(err, 'lamkit serve --port', port, flags.host ?? '127.0.0.1'))).listen(port, flags.host ?? '127.0.0.1', () => resolve()));
  }
  // Each robot is driven at the control rate it announced (else a simulated robot runs as fast as it answers).
  const server = await lib.BridgeServer.listen({ port, host: flags.host, server: https, token, rosbridge, stepTimeoutMs, paceToControlRate: true }).catch((err: unknown) => {
    throw listenError(err, 'lamkit serve --port', port, flags.host ?? '127.0.0.1');
  });
  const actualPort = https ? (https.address() as import('node:net').AddressInfo).port : server.port;
  const handle = lib.servePolicy(server, policy, {
    deterministic: !flags.stochastic,
    // Robot-supplied text (ids, reasons, space keys) is escaped: one log line per event, none forged.
    onEpisode: (ep) => log(`episode robot=${ep.robotId} return=${ep.return.toFixed(3)} length=${ep.length}${ep.truncated ? ' truncated' : ''}`),
    onError: (err, robotId) => log(escapeLogText(`robot=${robotId} ${err.name}: ${err.message}`)),
  });
  server.onRobot((env) => log(escapeLogText(`robot connected: ${env.robotId} (${env.observationSpace.toString()} -> ${env.actionSpace.toString()}, ${env.controlRateHz} Hz)`)));
  log(`lamkit serve: ${policy.envId} policy on ${https ? 'wss' : 'ws'}://${flags.host ?? '127.0.0.1'}:${actualPort}/${rosbridge ? ` (rosbridge on ${rosbridge.path})` : ''}${token ? ' (token required)' : ''}`);
  let closed = false;
  return {
    port: actualPort,
    get episodes() {
      return handle.episodes;
    },
    async close() {
      if (closed) return;
      closed = true;
      await handle.stop();
      await server.close();
      if (https) await new Promise<void>((r) => https!.close(() => r()));
      policy.dispose?.();
    },
  };
}

/** Registers `lamkit serve`. */
export function register(program: Command): void {
  program
    .command('serve')
    .description('Drive every robot that connects with a trained policy (policy-server mode)')
    .requiredOption('--checkpoint <dir>', 'a `lamkit train --out` directory or its checkpoint/ subdirectory')
    .option('--port <p>', 'port to listen on', '8765')
    .option('--host <addr>', 'interface to bind (0.0.0.0 for the network)', '127.0.0.1')
    .option('--token <t>', 'shared secret robots must present (default: $LAMKIT_TOKEN)')
    .option('--rosbridge <config.json>', 'also speak rosbridge v2 on /rosbridge with this topic mapping')
    .option('--step-timeout-ms <ms>', 'a step rejects when the robot does not answer within this', '1000')
    .option('--stochastic', 'sample actions instead of taking the distribution mode')
    .option('--tls-cert <pem>', 'serve wss:// with this certificate (with --tls-key)')
    .option('--tls-key <pem>', 'private key of --tls-cert')
    .action(async (flags: ServeFlags) => {
      const h = await startServe(flags, (line) => process.stdout.write(line + '\n'));
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await h.close();
    });
}
