// The live viewer: HTTP + WebSocket server and its protocol (the page itself is browser code under page/).
export { ViewerServer, parseCommand } from './viewer-server.js';
export type { ViewerServerOptions } from './viewer-server.js';
export { ViewerProtocolError } from './viewer-protocol-error.js';
export { StaticAssets, IMPORT_MAP } from './static-assets.js';
export type { StaticAsset } from './static-assets.js';
export { encodeFrame, decodeFrame, VIEWER_PROTOCOL_VERSION, FRAME_HEADER_BYTES } from './page/viewer-protocol.js';
export type { SceneMessage, FrameHeader, ViewerCommand, ErrorMessage } from './page/viewer-protocol.js';
