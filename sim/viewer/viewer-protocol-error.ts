import { LamkitError } from '../../src/core/errors.js';

/** A viewer page sent a message that is not a valid viewer command (protocol version 1). */
export class ViewerProtocolError extends LamkitError {
  constructor(message: string) {
    super(message, 'VIEWER_PROTOCOL');
  }
}
