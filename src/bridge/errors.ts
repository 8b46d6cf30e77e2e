import { LamkitError } from '../core/errors.js';

/**
 * Stable codes carried by bridge errors, both thrown locally and sent to the
 * peer in `error` messages (see docs/bridge-protocol.md).
 */
export type BridgeErrorCode =
  | 'BAD_JSON'
  | 'BAD_MESSAGE'
  | 'TOO_DEEP'
  | 'TOO_MANY_FIELDS'
  | 'BAD_FRAME'
  | 'PAYLOAD_TOO_LARGE'
  | 'OUT_OF_ORDER'
  | 'UNEXPECTED_SEQ'
  | 'BAD_SPACE'
  | 'BAD_OBSERVATION'
  | 'BAD_ACTION'
  | 'UNSUPPORTED_VERSION'
  | 'DUPLICATE_ROBOT'
  | 'RATE_LIMITED'
  | 'UNAUTHORIZED'
  | 'TIMEOUT'
  | 'DISCONNECTED'
  | 'EMERGENCY_STOP'
  | 'CLOSED';

/**
 * A peer broke the bridge protocol (malformed message, wrong order, bad
 * space, ...) or the link failed. `bridgeCode` says which; the message has
 * the house shape `Where.what: expected X, got Y. How to fix.`
 */
export class BridgeProtocolError extends LamkitError {
  readonly bridgeCode: BridgeErrorCode;
  constructor(bridgeCode: BridgeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, 'BRIDGE_PROTOCOL', options);
    this.bridgeCode = bridgeCode;
  }
}

/**
 * `RemoteEnv.step`/`reset` did not get the robot's observation within its
 * deadline. The episode is over (truncated): call `reset()`.
 */
export class BridgeTimeoutError extends BridgeProtocolError {
  constructor(message: string) {
    super('TIMEOUT', message);
  }
}

/** The robot disconnected (or was emergency-stopped) while a request was pending. */
export class BridgeDisconnectedError extends BridgeProtocolError {
  constructor(message: string, code: 'DISCONNECTED' | 'EMERGENCY_STOP' | 'CLOSED' = 'DISCONNECTED') {
    super(code, message);
  }
}
