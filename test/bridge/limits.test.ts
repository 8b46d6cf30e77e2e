import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { BridgeServer } from '../../src/bridge/bridge-server.js';
import { BridgeProtocolError } from '../../src/bridge/errors.js';
import { connectLine, LineEnv, lineHello, rawPeer, sleep } from './fixtures.js';
import { envRobotHandler } from '../../src/bridge/env-robot-handler.js';

/** Resolves with the ms from `t0` until `socket` closes, or Infinity after `timeoutMs`. */
function closedAfter(socket: Socket, t0: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(Infinity), timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(performance.now() - t0);
    });
  });
}

function tcp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

const UPGRADE = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

test('defect 4: a half HTTP request and a silent TCP connection are dropped at the handshake deadline', async () => {
  const server = await BridgeServer.listen({ port: 0, handshakeTimeoutMs: 300 });
  const sockets: Socket[] = [];
  try {
    const half = await tcp(server.port);
    const silent = await tcp(server.port);
    sockets.push(half, silent);
    half.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
    const t0 = performance.now();
    const [a, b] = await Promise.all([closedAfter(half, t0, 3000), closedAfter(silent, t0, 3000)]);
    assert.ok(a < 1500, `half request closed after ${a} ms`);
    assert.ok(b < 1500, `silent connection closed after ${b} ms`);
  } finally {
    for (const s of sockets) s.destroy();
    await server.close();
  }
});

test('defect 4: an upgraded socket that never says hello nor answers the close frame is destroyed after closeTimeoutMs', async () => {
  const server = await BridgeServer.listen({ port: 0, handshakeTimeoutMs: 300, closeTimeoutMs: 300 });
  const s = await tcp(server.port);
  try {
    let head = '';
    s.on('data', (d) => (head += d.toString('latin1')));
    s.write(UPGRADE);
    const t0 = performance.now();
    const after = await closedAfter(s, t0, 5000);
    assert.match(head, /^HTTP\/1\.1 101 /);
    assert.ok(head.includes('no hello within 300 ms'), 'a close frame with the reason came first');
    assert.ok(after < 2000, `TCP connection closed after ${after} ms`);
  } finally {
    s.destroy();
    await server.close();
  }
});

test('defect 4: unauthenticated connections are capped (maxPendingConnections); robots past hello do not count', async () => {
  const server = await BridgeServer.listen({ port: 0, maxPendingConnections: 2, handshakeTimeoutMs: 60000 });
  const sockets: Socket[] = [];
  const clients: Array<{ close(): Promise<void> }> = [];
  try {
    sockets.push(await tcp(server.port), await tcp(server.port));
    await sleep(50);
    const third = await tcp(server.port);
    sockets.push(third);
    const t0 = performance.now();
    assert.ok((await closedAfter(third, t0, 2000)) < 1000, 'the third unauthenticated connection is refused');
    await assert.rejects(rawPeer(server.url));
    for (const s of sockets) s.destroy();
    await sleep(50);
    for (let i = 0; i < 4; i++) {
      const env = new LineEnv();
      clients.push(await connectLine(server, `robot-${i}`, envRobotHandler(env), env));
    }
    assert.equal(server.robots().length, 4);
  } finally {
    for (const s of sockets) s.destroy();
    for (const c of clients) await c.close();
    await server.close();
  }
});

test('defect 7: nesting and field count are bounded before parsing (TOO_DEEP, TOO_MANY_FIELDS), crafted objects are described, long field names are truncated', async () => {
  // The large messages below are parsed in worker threads; nice 0 so a machine loaded by other processes cannot
  // starve them (the replies, not the priority, are under test here).
  const server = await BridgeServer.listen({ port: 0, parseWorkerNice: 0 });
  const peer = await rawPeer(server.url);
  try {
    const deep = 100000;
    peer.ws.send(`{"type":"obs","seq":1,"obs":${'['.repeat(deep)}${']'.repeat(deep)}}`);
    const deepSpace = '{"type":"Tuple","spaces":['.repeat(3000) + '{"type":"Discrete","n":2}' + ']}'.repeat(3000);
    peer.ws.send(JSON.stringify(lineHello()).replace(/"observationSpace":\{[^}]*\}/, `"observationSpace":${deepSpace}`));
    peer.ws.send(JSON.stringify(lineHello({ safeAction: { constructor: { name: { toString: 1 } } } })));
    peer.ws.send(JSON.stringify({ type: 'heartbeat', t: 1, ['x'.repeat(200000)]: 1 }));
    // Many fields with distinct keys cost the parser most per byte: bounded before parsing too.
    peer.ws.send(JSON.stringify({ type: 'obs', seq: 1, obs: [1], info: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i])) }));
    const r = await peer.waitFor(5);
    assert.deepEqual(r.map((m) => m.code), ['TOO_DEEP', 'TOO_DEEP', 'BAD_MESSAGE', 'BAD_MESSAGE', 'TOO_MANY_FIELDS']);
    assert.match(r[4].message, /^BridgeServer\.message: expected at most 1024 object fields in all, got field 1025 at byte \d+\. Send bulk data as arrays of numbers \(see Limits in docs\/bridge-protocol\.md\)\.$/);
    assert.equal(r[0].message, 'BridgeServer.message: expected JSON nested at most 32 levels deep, got level 33 at byte 59. Flatten the message (see Limits in docs/bridge-protocol.md).');
    assert.equal(r[2].message, 'BridgeServer.message.hello.safeAction: expected an array, got {constructor}. See docs/bridge-protocol.md for the message fields.');
    assert.equal(r[3].message, `BridgeServer.message.heartbeat: expected no unknown fields, got field(s) "${'x'.repeat(57)}...". See docs/bridge-protocol.md for the message fields.`);
    assert.equal(peer.ws.readyState, peer.ws.OPEN);
  } finally {
    peer.ws.close();
    await server.close();
  }
});

test('defect 8: announcements are checked against the documented limits at hello', async () => {
  const server = await BridgeServer.listen({ port: 0 });
  const peer = await rawPeer(server.url);
  try {
    const hellos = [
      lineHello({ observationSpace: { type: 'Discrete', n: 1e308, start: 0 } }),
      lineHello({ observationSpace: { type: 'MultiBinary', shape: [1e9] } }),
      lineHello({ actionSpace: { type: 'MultiDiscrete', nvec: [2, 1e9] }, safeAction: [0, 0] }),
      lineHello({ controlRateHz: 5e-324 }),
      lineHello({ controlRateHz: 1e6 }),
    ];
    for (const h of hellos) peer.ws.send(JSON.stringify(h));
    const r = await peer.waitFor(hellos.length);
    assert.deepEqual(r.map((m) => m.type), hellos.map(() => 'error'), 'no welcome');
    assert.deepEqual(r.map((m) => m.message), [
      'BridgeServer.message.hello.observationSpace.n: expected an integer in [1, 65536] (a space has at most 65536 numbers in its flat form), got 1e+308. Announce a smaller space (see Limits in docs/bridge-protocol.md).',
      'BridgeServer.message.hello.observationSpace.shape: expected at most 65536 numbers (a space has at most 65536 numbers in its flat form), got [1000000000]. Announce a smaller space (see Limits in docs/bridge-protocol.md).',
      'BridgeServer.message.hello.actionSpace.nvec: expected at most 65536 numbers in total (a space has at most 65536 numbers in its flat form), got [2, 1000000000]. Announce a smaller space (see Limits in docs/bridge-protocol.md).',
      'BridgeServer.message.hello.controlRateHz: expected a number >= 0.1, got 5e-324. See docs/bridge-protocol.md for the message fields.',
      'BridgeServer.message.hello.controlRateHz: expected a number <= 100000, got 1000000. See docs/bridge-protocol.md for the message fields.',
    ]);
    assert.deepEqual(r.map((m) => m.code), ['BAD_SPACE', 'BAD_SPACE', 'BAD_SPACE', 'BAD_MESSAGE', 'BAD_MESSAGE']);
    assert.equal(server.robots().length, 0);
  } finally {
    peer.ws.close();
    await server.close();
  }
});

test('defect 9: a heartbeat before hello is OUT_OF_ORDER, as documented', async () => {
  const server = await BridgeServer.listen({ port: 0 });
  const peer = await rawPeer(server.url);
  try {
    peer.ws.send(JSON.stringify({ type: 'heartbeat', t: 1 }));
    const [r] = await peer.waitFor(1);
    assert.deepEqual(r, { type: 'error', code: 'OUT_OF_ORDER', message: "BridgeServer.message.heartbeat: expected a hello first, got 'heartbeat' before the handshake. Send hello and wait for welcome." });
  } finally {
    peer.ws.close();
    await server.close();
  }
});

test('defect 9: a text frame of invalid UTF-8 closes only that socket with 1007 (RFC 6455), reported to onError; other robots keep going', async () => {
  const server = await BridgeServer.listen({ port: 0 });
  const env = new LineEnv();
  const robot = await connectLine(server, 'ok', envRobotHandler(env), env);
  const errors: BridgeProtocolError[] = [];
  server.onError((e) => errors.push(e));
  const peer = await rawPeer(server.url);
  try {
    const [remote] = await server.waitForRobots(1);
    await remote.reset({ seed: 0 });
    peer.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    assert.equal((await peer.closed).code, 1007);
    await remote.step(Float32Array.of(0.5));
    assert.deepEqual(errors.map((e) => [e.bridgeCode, e.message]), [
      ['BAD_JSON', 'BridgeServer.message: expected UTF-8 text in a text frame, got invalid UTF-8. The socket was closed with 1007 (RFC 6455); send text frames as UTF-8.'],
    ]);
  } finally {
    await robot.close();
    await server.close();
  }
});

test('defect 9: the Bearer scheme is case-insensitive (RFC 9110)', async () => {
  const server = await BridgeServer.listen({ port: 0, token: 'tok' });
  try {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const peer = await rawPeer(server.url, { authorization: `${scheme} tok` });
      peer.ws.close();
    }
    await assert.rejects(rawPeer(server.url, { authorization: 'Bearer nope' }), /HTTP 401/);
    await assert.rejects(rawPeer(server.url, { authorization: 'Basic tok' }), /HTTP 401/);
  } finally {
    await server.close();
  }
});
