import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { InvalidArgument, LamkitError, formatError, describeValue } from '../../src/core/errors.js';
import { ViewerProtocolError } from './viewer-protocol-error.js';
import type { SceneDescription } from '../scene/scene-description.js';
import { POSE_STRIDE } from '../scene/geom-poses.js';
import { StaticAssets } from './static-assets.js';
import { viewerHtml } from './viewer-html.js';
import { encodeViewerFrame, VIEWER_PROTOCOL_VERSION } from './page/viewer-protocol.js';
import type { ViewerFrameHeader, SceneMessage, ViewerCommand } from './page/viewer-protocol.js';

/** Options of {@link ViewerServer.start}. */
export interface ViewerServerOptions {
  /** What to draw (from `describeModel`). */
  scene: SceneDescription;
  /** TCP port; 0 picks a free one (default 8080). */
  port?: number;
  /** Interface to listen on (default `127.0.0.1`: loopback only). */
  host?: string;
  /** Page title, e.g. the task id. */
  title?: string;
  /** Who acts, shown on the page, e.g. `random actions (no policy)`. */
  actorLabel?: string;
  /** Called for each valid page command (reset, pause). */
  onCommand?: (command: ViewerCommand) => void;
}

const commandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('reset') }).strict(),
  z.object({ type: z.literal('pause'), paused: z.boolean() }).strict(),
]);

/** Frames queued on a socket beyond this many bytes are dropped for it (a slow page skips frames). */
const MAX_BUFFERED_BYTES = 1 << 20;

/**
 * HTTP + WebSocket server of `lamkit view`. `GET /` is the page, its modules
 * come from {@link StaticAssets}; `/ws` speaks the viewer protocol
 * (`page/viewer-protocol.ts`): a JSON scene message on connect, then one
 * binary pose frame per {@link broadcastFrame}. It does not step anything:
 * whoever owns the simulation pushes frames.
 */
export class ViewerServer {
  private readonly assets = new StaticAssets();
  private readonly sockets = new Set<WebSocket>();
  private readonly sceneJson: string;
  /** The last instruction sent (JSON message), replayed to pages that connect later. */
  private instructionJson: string | null = null;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    private readonly options: ViewerServerOptions,
  ) {
    const message: SceneMessage = {
      type: 'scene',
      version: VIEWER_PROTOCOL_VERSION,
      title: options.title ?? 'lamkit',
      actorLabel: options.actorLabel ?? '',
      scene: options.scene,
    };
    this.sceneJson = JSON.stringify(message);
  }

  /** Starts listening; resolves once the port is bound. */
  static async start(options: ViewerServerOptions): Promise<ViewerServer> {
    const port = options.port ?? 8080;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new InvalidArgument(formatError('ViewerServer.port', 'an integer in [0, 65535] (0 = any free port)', describeValue(port), 'Pass e.g. --port 8080'));
    }
    if (!options.scene || !Array.isArray(options.scene.geoms)) {
      throw new InvalidArgument(formatError('ViewerServer.scene', 'a SceneDescription (from describeModel)', describeValue(options.scene), 'Build it with describeModel(world.model)'));
    }
    const http = createServer();
    // noServer: upgrades are routed by hand, so a failed listen() surfaces only once, as our error.
    const wss = new WebSocketServer({ noServer: true });
    const server = new ViewerServer(http, wss, options);
    http.on('request', (req, res) => void server.serve(req, res));
    http.on('upgrade', (req, socket, head) => {
      if ((req.url ?? '').split('?')[0] !== '/ws') {
        socket.destroy();
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => server.accept(ws));
    });
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        const got = err.code === 'EADDRINUSE' ? `${port} (already in use)` : `${port} (${err.code ?? err.message})`;
        reject(new InvalidArgument(formatError('ViewerServer.port', 'a free port', got, 'Pass another --port, or 0 for any free port')));
      };
      http.once('error', onError);
      http.listen(port, host, () => {
        http.off('error', onError);
        resolve();
      });
    });
    return server;
  }

  /** Bound port. */
  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  /** Page URL, e.g. `http://127.0.0.1:8080/`. */
  get url(): string {
    const host = this.options.host ?? '127.0.0.1';
    return `http://${host.includes(':') ? `[${host}]` : host}:${this.port}/`;
  }

  /** Connected pages. */
  get clientCount(): number {
    return this.sockets.size;
  }

  /**
   * Sends one frame to every connected page: the header and the poses
   * (`Float32Array [ngeom x 7]`, see `writeGeomPoses`). Pages that fall more
   * than 1 MiB behind skip frames instead of queueing them.
   */
  broadcastFrame(header: ViewerFrameHeader, poses: Float32Array): void {
    const expected = this.options.scene.ngeom * POSE_STRIDE;
    if (poses.length !== expected) {
      throw new InvalidArgument(formatError('ViewerServer.broadcastFrame.poses', `a Float32Array of ${expected} numbers (ngeom x 7)`, describeValue(poses), 'Write it with writeGeomPoses for the model the server was started with'));
    }
    if (this.sockets.size === 0) return;
    const frame = encodeViewerFrame(header, poses);
    for (const ws of this.sockets) {
      if (ws.readyState === ws.OPEN && ws.bufferedAmount < MAX_BUFFERED_BYTES) ws.send(frame);
    }
  }

  /**
   * Shows `text` in every page's HUD (an instruction-following task's
   * current instruction) until the next call; pages that connect later get
   * the last one.
   */
  broadcastInstruction(text: string): void {
    this.instructionJson = JSON.stringify({ type: 'instruction', text });
    for (const ws of this.sockets) if (ws.readyState === ws.OPEN) ws.send(this.instructionJson);
  }

  /** Closes every connection and the listener. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const ws of this.sockets) ws.terminate();
      this.sockets.clear();
      this.wss.close(() => {
        this.http.closeAllConnections?.();
        this.http.close(() => resolve());
      });
    });
    return this.closing;
  }

  private accept(ws: WebSocket): void {
    if (this.closing) {
      ws.terminate();
      return;
    }
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('error', () => this.sockets.delete(ws));
    ws.on('message', (data, isBinary) => {
      try {
        this.options.onCommand?.(parseViewerCommand(isBinary ? null : data.toString()));
      } catch (err) {
        const message = err instanceof LamkitError ? err.message : String(err);
        ws.send(JSON.stringify({ type: 'error', message }));
        ws.close(1008, 'invalid message');
      }
    });
    ws.send(this.sceneJson);
    if (this.instructionJson) ws.send(this.instructionJson);
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(viewerHtml(this.options.title ?? 'lamkit'));
      return;
    }
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const asset = await this.assets.get(path).catch(() => null);
    if (!asset) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': asset.contentType }).end(asset.body);
  }
}

/** Parses and validates a page message; throws {@link ViewerProtocolError}. */
export function parseViewerCommand(text: string | null): ViewerCommand {
  let value: unknown = text;
  if (text !== null) {
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
  }
  const parsed = commandSchema.safeParse(value);
  if (!parsed.success) {
    throw new ViewerProtocolError(formatError('ViewerServer.message', `JSON {"type":"reset"} or {"type":"pause","paused":boolean}`, text === null ? 'a binary message' : describeValue(value), 'Send one of the viewer commands (protocol version 1)'));
  }
  return parsed.data;
}
