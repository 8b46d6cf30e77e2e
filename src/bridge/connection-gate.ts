import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** What the gate closes when a WebSocket misses its deadline (a robot connection). */
export interface GatedLink {
  close(code: number, reason: string): void;
}

interface Pending {
  socket: Duplex;
  timer: ReturnType<typeof setTimeout>;
  link: GatedLink | null;
}

/**
 * Bounds the connections that have not yet proven themselves (no `hello`
 * welcomed, or no rosbridge robot attached): "pending" connections.
 *
 * - Deadline: a TCP connection must complete its HTTP upgrade AND its
 *   handshake within `handshakeTimeoutMs` of being accepted. A socket still
 *   in HTTP (half a request, or silent) is destroyed; an upgraded one gets a
 *   close frame (1008), and the WebSocket server's close timeout destroys
 *   it if the peer does not answer.
 * - Cap: at most `maxPendingConnections` pending connections; one more is
 *   destroyed as it is accepted (before TLS or HTTP cost anything).
 *
 * On a server the bridge does not own (`BridgeServerOptions.server`), a
 * connection whose first HTTP request is not an upgrade to the bridge is
 * left alone (it is the owner's traffic); only connections still silent or
 * mid-request count, and are bound by the deadline.
 *
 * Sockets are matched by remote address and port: with TLS, `connection`
 * sees the TCP socket and `upgrade` the TLS socket wrapped around it.
 */
export class ConnectionGate {
  private readonly pending = new Map<string, Pending>();
  private readonly keyOfLink = new Map<GatedLink, string>();
  private readonly onConnection: (socket: Socket) => void;
  private readonly onRequest: (req: IncomingMessage) => void;
  private closed = false;

  constructor(
    private readonly http: HttpServer | HttpsServer,
    private readonly handshakeTimeoutMs: number,
    private readonly maxPendingConnections: number,
    ownsHttp: boolean,
  ) {
    this.onConnection = (socket) => {
      if (this.closed) return;
      if (this.pending.size >= this.maxPendingConnections) return void socket.destroy();
      this.track(socket);
    };
    // The owner's own HTTP traffic: not ours to time out. (The bridge's own server answers 426 and closes.)
    this.onRequest = (req) => {
      if (!ownsHttp) this.settleKey(keyOf(req.socket));
    };
    http.on('connection', this.onConnection);
    http.on('request', this.onRequest);
  }

  /** Pending connections now. */
  get size(): number {
    return this.pending.size;
  }

  /** An upgrade to a bridge path arrived on `socket`; false when it must be refused (over the cap). */
  admitUpgrade(socket: Duplex): boolean {
    if (this.closed) return false;
    if (this.pending.has(keyOf(socket))) return true;
    // A connection accepted before the gate existed (a server handed in already busy), or settled as plain HTTP.
    if (this.pending.size >= this.maxPendingConnections) return false;
    this.track(socket);
    return true;
  }

  /** The socket became a WebSocket: at the deadline it now gets a close frame. */
  bind(socket: Duplex, link: GatedLink): void {
    const key = keyOf(socket);
    const p = this.pending.get(key);
    if (!p) return;
    p.link = link;
    this.keyOfLink.set(link, key);
  }

  /** The link's robot completed its handshake: no deadline, no longer counted. */
  settle(link: GatedLink): void {
    const key = this.keyOfLink.get(link);
    if (key !== undefined) this.settleKey(key);
  }

  /** Stops watching (timers cleared, listeners removed). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.http.off('connection', this.onConnection);
    this.http.off('request', this.onRequest);
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    this.keyOfLink.clear();
  }

  private track(socket: Duplex): void {
    const key = keyOf(socket);
    const timer = setTimeout(() => {
      const p = this.pending.get(key);
      if (!p) return;
      if (p.link) p.link.close(1008, `no hello within ${this.handshakeTimeoutMs} ms`);
      else p.socket.destroy();
    }, this.handshakeTimeoutMs);
    timer.unref();
    this.pending.set(key, { socket, timer, link: null });
    socket.once('close', () => this.settleKey(key));
  }

  private settleKey(key: string): void {
    const p = this.pending.get(key);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(key);
    if (p.link) this.keyOfLink.delete(p.link);
  }
}

function keyOf(socket: Duplex): string {
  const s = socket as Partial<Socket>;
  return `${s.remoteAddress}|${s.remotePort}`;
}
