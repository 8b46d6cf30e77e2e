import { RobotClientCore, type RobotClientOptions, type WebSocketConstructor } from './robot-client-core.js';

export { RobotClientCore, type RobotClientOptions, type RobotHandler, type RobotStep, type SafeActionReason, type RobotClientEvents, type WebSocketConstructor } from './robot-client-core.js';

/**
 * The robot side of the bridge, for Node and the browser: connects with a
 * token, announces its spaces, answers each `reset`/`action` with an
 * observation via its `RobotHandler`, and keeps the robot safe on its own:
 * a watchdog applies the safe action when no action arrives within
 * `watchdogMs`, on disconnect and on `estop`; it reconnects with backoff.
 *
 * This is {@link RobotClientCore} plus one Node convenience: without
 * `options.WebSocket` and without a global `WebSocket` (Node 20), it
 * connects with the `ws` package (token as an `Authorization` header,
 * `options.ca` for wss://). `lamkit/browser` exports the core as
 * `RobotClient`, so a page never loads `ws`.
 */
export class RobotClient extends RobotClientCore {
  /** Connects and resolves after the server's `welcome`; rejects if the server refuses (bad token, bad hello). */
  static override connect(opts: RobotClientOptions): Promise<RobotClient> {
    return super.connect(opts) as Promise<RobotClient>;
  }

  protected override async webSocketConstructor(): Promise<WebSocketConstructor> {
    return this.opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket ?? ((await import('ws')).WebSocket as unknown as WebSocketConstructor);
  }
}
