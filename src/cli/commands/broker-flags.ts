import type { Command } from 'commander';

/**
 * Adds the broker flags shared by `lamkit worker` and `lamkit train`
 * (parsed by agents/scale/broker-options.ts; docs/scale-out.md shows the
 * server side of each auth method).
 * @param required true for `lamkit worker` (the broker is what it works for).
 */
export function registerBrokerFlags(cmd: Command, required: boolean): Command {
  return cmd
    .option('--broker <url>', `NATS server with JetStream, e.g. nats://host:4222 (tls://host:4222 for TLS; several comma-separated)${required ? '' : ': train on rollouts from lamkit worker processes'}`)
    .option('--broker-run <name>', 'run name on the broker: stream, bucket and subjects are named after it (default lamkit)')
    .option('--broker-token <t>', 'token auth (default: $LAMKIT_BROKER_TOKEN)')
    .option('--broker-user <name>', 'user/password auth; the password from --broker-password or $LAMKIT_BROKER_PASSWORD')
    .option('--broker-password <p>', 'password of --broker-user (prefer $LAMKIT_BROKER_PASSWORD: flags show in ps)')
    .option('--broker-nkey-seed <file>', "NKey auth: file holding the user's seed (SU...)")
    .option('--broker-creds <file>', 'JWT auth: a .creds file (nsc generate creds)')
    .option('--broker-tls-ca <file>', 'TLS: CA certificate(s) to verify the server')
    .option('--broker-tls-cert <file>', 'mutual TLS: client certificate (with --broker-tls-key)')
    .option('--broker-tls-key <file>', 'mutual TLS: client key');
}
