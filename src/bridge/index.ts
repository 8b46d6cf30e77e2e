// Public API of src/bridge: robots over WebSocket (docs/bridge-protocol.md).
export { BridgeProtocolError, BridgeTimeoutError, BridgeDisconnectedError, type BridgeErrorCode } from './errors.js';
export { PROTOCOL_VERSION, MAX_VECTOR_LENGTH, MAX_JSON_DEPTH, MAX_JSON_FIELDS, MIN_CONTROL_RATE_HZ, MAX_CONTROL_RATE_HZ, type RobotMessage, type ServerMessage, type HelloMessage, type ObsMessage } from './protocol.js';
export { encodeFrame, decodeFrame, FRAME_HEADER_BYTES, FRAME_KIND_OBS, FRAME_KIND_ACTION, type BinaryFrame } from './binary-frame.js';
export { ActionGuard, decodeAction, type GuardFault } from './action-guard.js';
export { RemoteEnv, type RobotLink, type RobotObservationEvent, type SafetyEvent, type RemoteEnvTimeouts } from './remote-env.js';
export { BridgeServer, type BridgeServerOptions } from './bridge-server.js';
export { MAX_SPACE_PARTS } from './space-limits.js';
export { RobotClient, RobotClientCore, type RobotClientOptions, type RobotHandler, type RobotStep, type SafeActionReason, type RobotClientEvents, type WebSocketConstructor } from './robot-client.js';
export { envRobotHandler, type EnvRobotHandler } from './env-robot-handler.js';
export { servePolicy, type ServePolicyOptions, type ServedEpisode, type PolicyServerHandle } from './policy-server.js';
export { resolveRosbridgeConfig, loadRosbridgeConfig, type RosbridgeConfig, type ResolvedRosbridgeConfig, type RosActionEncoding } from './rosbridge-config.js';
