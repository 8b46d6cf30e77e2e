/**
 * `lamkit/browser`: what a web page needs, and nothing that needs Node.
 * Nothing here (directly or through what it imports) imports a `node:`
 * module or a Node built-in: test/browser/browser-entry.test.ts walks the
 * import graph, and test/browser/browser-page.test.ts runs it in Chromium.
 *
 * ```ts
 * import { Box, Discrete, Rng, MlpPolicy, RobotClient } from 'lamkit/browser';
 * ```
 *
 * - core: spaces (`Box`, `Discrete`, ..., `spaceFromJSON`), `Rng`, the
 *   `Env`/`VectorEnv`/`Policy` contracts, `BaseEnv`, `checkEnv` and every
 *   `LamkitError` class (all of src/core, which is platform-neutral);
 * - `MlpPolicy`: a trained MLP actor-critic with a plain-JS forward pass
 *   (build it from a checkpoint's parts; `loadPolicy` reads files, so it
 *   stays in 'lamkit');
 * - `OnnxPolicy` / `OnnxStepper`: a policy exported with `lamkit export`
 *   run on onnxruntime-web (pass its session and `Tensor`), recurrent state
 *   carried between steps;
 * - `RobotClient`: the robot side of the bridge on the page's own
 *   `WebSocket` (it never loads the `ws` package), `envRobotHandler` to
 *   drive it with an `Env`, and the bridge's error classes.
 */
export * from './core/index.js';
export { MlpPolicy, type MlpPolicyParts } from '../agents/policies/mlp-policy.js';
export { mlpPolicyFromCheckpoint, type MlpPolicyFromCheckpointOptions } from '../agents/checkpoint/mlp-policy-from-checkpoint.js';
export type { MlpSpec, HeadSpec, Activation } from '../agents/policies/param-layout.js';
export {
  RobotClientCore as RobotClient,
  type RobotClientOptions,
  type RobotHandler,
  type RobotStep,
  type SafeActionReason,
  type RobotClientEvents,
  type WebSocketConstructor,
} from './bridge/robot-client-core.js';
export { envRobotHandler, type EnvRobotHandler } from './bridge/env-robot-handler.js';
export { OnnxPolicy, type ExportManifest } from '../agents/export/onnx-policy.js';
export { OnnxStepper, type OrtSessionLike, type OrtTensorLike, type OrtTensorConstructor } from '../agents/export/onnx-stepper.js';
export { BridgeProtocolError, BridgeTimeoutError, BridgeDisconnectedError, type BridgeErrorCode } from './bridge/errors.js';
export { PROTOCOL_VERSION } from './bridge/protocol.js';
