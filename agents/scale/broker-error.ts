import { LamkitError } from '../../src/core/errors.js';

/**
 * A failure talking to the NATS broker of a scale-out run (`lamkit worker`,
 * `lamkit train --broker`): refused credentials, an unreachable server, a
 * server without JetStream, a message too large for it. The message names
 * the server (never the secret).
 */
export class BrokerError extends LamkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'BROKER', options);
  }
}
