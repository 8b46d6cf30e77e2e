// The live viewer: HTTP + WebSocket server and its protocol (the page itself is browser code under page/).
export { ViewerServer, parseViewerCommand } from './viewer-server.js';
export type { ViewerServerOptions } from './viewer-server.js';
export { ViewerProtocolError } from './viewer-protocol-error.js';
export { encodeViewerFrame, decodeViewerFrame, VIEWER_PROTOCOL_VERSION, VIEWER_FRAME_HEADER_BYTES } from './page/viewer-protocol.js';
export type { SceneMessage, ViewerFrameHeader, ViewerCommand, ViewerErrorMessage } from './page/viewer-protocol.js';
