import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { Rng } from '../../src/core/rng.js';
import { Box } from '../../src/core/spaces/box.js';
import { encodeFrame, FRAME_KIND_OBS } from '../../src/bridge/binary-frame.js';
import { LineEnv, rig } from './fixtures.js';
import { closeAtEnd } from '../helpers/close-at-end.js';
import { until } from '../helpers/until.js';

const space = new Box(-10, 10, [2]);
const act = new Box(-1, 1, [1]);
const baseHello = (): Record<string, unknown> => ({ type: 'hello', protocol: 1, robotId: 'fuzzer', observationSpace: space.toJSON(), actionSpace: act.toJSON(), controlRateHz: 50, safeAction: [0] });
const validObs = (): Record<string, unknown> => ({ type: 'obs', seq: 1, obs: [0.5, 0.25], reward: 1, terminated: false, truncated: false });
const WRONG: unknown[] = ['x', -1, 1.5, null, true, [], {}, [1, 'a'], 'NaN', 1e309];

/** Over MAX_VECTOR_LENGTH (65536) but under the size limit; and over the 256 KiB size limit. Built once. */
const HUGE_ARRAY = JSON.stringify({ ...validObs(), obs: new Array(70000).fill(0) });
const HUGE_PAYLOAD = JSON.stringify({ ...validObs(), obs: new Array(140000).fill(0) });

/** One malformed message and the error code the server must answer it with. */
interface Case {
  data: string | Uint8Array;
  kind: string;
  code: string;
}

/** A JSON text nested `depth` levels deep (arrays), inside an obs message. */
const deepObs = (depth: number): string => `{"type":"obs","seq":1,"obs":${'['.repeat(depth)}${']'.repeat(depth)}}`;

function malformed(rng: Rng, handshaken: boolean): Case {
  const pick = <T>(xs: readonly T[]): T => xs[rng.integer(0, xs.length)];
  // Before its handshake, the attacker's hellos use an id of their own: 'fuzzer' is the other attacker, connected (DUPLICATE_ROBOT).
  const validHello = (): Record<string, unknown> => ({ ...baseHello(), robotId: handshaken ? 'fuzzer' : 'fuzzer-pre' });
  const k = rng.integer(0, handshaken ? 13 : 14);
  switch (k) {
    case 0: {
      // Bad JSON: a valid message cut short, or with a byte flipped into a syntax error.
      const s = JSON.stringify(pick([validHello(), validObs()]));
      return { data: rng.bernoulli() ? s.slice(0, rng.integer(0, s.length - 1)) : s.replace(/[:,]/, pick(['', ';', '::'])), kind: 'bad json', code: 'BAD_JSON' };
    }
    case 1: {
      // Wrong type in one field.
      const m = pick([validHello, validObs])();
      const keys = Object.keys(m);
      const key = pick(keys);
      // (A hello keeps only values of the wrong JSON type, so it can never become valid by accident.)
      let v = m.type === 'hello' ? pick([null, true, [1, 'a'], {}]) : pick(WRONG);
      while (key === 'obs' && Array.isArray(v) && v.length === 0) v = pick(WRONG);
      m[key] = key === 'type' ? pick(['helo', 7, null, 'action']) : v;
      if (key === 'reward' && typeof v === 'number' && v !== 1e309) m[key] = 'str';
      if ((key === 'terminated' || key === 'truncated') && typeof v === 'boolean') m[key] = 1;
      return { data: JSON.stringify(m), kind: 'wrong type', code: 'BAD_MESSAGE' };
    }
    case 2: {
      // A required field missing.
      const m = pick([validHello, validObs])();
      const required = m.type === 'hello' ? ['type', 'protocol', 'robotId', 'observationSpace', 'actionSpace', 'controlRateHz', 'safeAction'] : ['type', 'seq', 'obs'];
      delete m[pick(required)];
      return { data: JSON.stringify(m), kind: 'missing field', code: 'BAD_MESSAGE' };
    }
    case 3: {
      // A huge array (over the vector limit) or a huge payload (over the size limit).
      // Mostly frames whose header claims a huge n (cheap); sometimes real 140-280 KB payloads.
      if (rng.bernoulli(0.1)) return rng.bernoulli(0.3) ? { data: HUGE_PAYLOAD, kind: 'huge payload', code: 'PAYLOAD_TOO_LARGE' } : { data: HUGE_ARRAY, kind: 'huge array', code: 'BAD_MESSAGE' };
      const f = encodeFrame(FRAME_KIND_OBS, 1, Float32Array.of(1, 2));
      new DataView(f.buffer).setUint32(16, rng.integer(3, 2 ** 31), true);
      return { data: f, kind: 'huge frame length', code: 'BAD_FRAME' };
    }
    case 4: {
      // A packed frame (image bytes) the hello did not ask for: out of order before the handshake.
      if (rng.bernoulli(0.25)) return { data: encodeFrame(FRAME_KIND_OBS, 1, Float32Array.of(1), 0, false, false, Uint8Array.of(7)), kind: 'unagreed packed frame', code: handshaken ? 'BAD_FRAME' : 'OUT_OF_ORDER' };
      // Non-finite values in a binary frame.
      const vals = Float32Array.of(rng.normal(), pick([NaN, Infinity, -Infinity]));
      return { data: encodeFrame(FRAME_KIND_OBS, 1, vals), kind: 'NaN', code: 'BAD_FRAME' };
    }
    case 5: {
      // Binary garbage, sometimes with a valid-looking header.
      const bytes = new Uint8Array(rng.integer(0, 64));
      for (let i = 0; i < bytes.length; i++) bytes[i] = rng.integer(0, 256);
      if (rng.bernoulli() && bytes.length > 2) bytes[0] = 0x4c;
      if (bytes.length >= 24 && bytes[0] === 0x4c && bytes[1] === 1 && bytes[2] <= 2 && bytes[3] <= 3) bytes[1] = 9;
      return { data: bytes, kind: 'binary garbage', code: 'BAD_FRAME' };
    }
    case 6:
      // Not an object at all / unknown type / unknown field.
      return { data: pick(['42', '"obs"', 'null', '[]', '{"type":"teleport"}', JSON.stringify({ ...validObs(), extra: 1 }), '{}']), kind: 'shape', code: 'BAD_MESSAGE' };
    case 7: {
      // Hello that can never succeed: bad version, bad space, bad safe action, bad id. After the handshake, a second hello.
      const m = validHello();
      const which = rng.integer(0, 4);
      if (which === 0) m.protocol = 2;
      else if (which === 1) m.observationSpace = { type: 'Box', low: [0], high: [-1], shape: [1], dtype: 'float32' };
      else if (which === 2) m.safeAction = [5];
      else m.robotId = 'bad id!';
      const code = which === 3 ? 'BAD_MESSAGE' : handshaken ? 'OUT_OF_ORDER' : ['UNSUPPORTED_VERSION', 'BAD_SPACE', 'BAD_ACTION'][which];
      return { data: JSON.stringify(m), kind: handshaken ? 'second hello' : 'bad hello', code };
    }
    case 8:
      // Before the handshake these are out of order; after it, obs with a seq nothing awaits.
      return {
        data: rng.bernoulli() ? JSON.stringify({ ...validObs(), seq: rng.integer(0, 1000) }) : encodeFrame(FRAME_KIND_OBS, rng.integer(0, 1000), Float32Array.of(0.5, 0.5)),
        kind: 'out of order',
        code: handshaken ? 'UNEXPECTED_SEQ' : 'OUT_OF_ORDER',
      };
    case 9:
      return { data: JSON.stringify({ type: 'episode_end', seq: -rng.integer(1, 9), reason: 'x' }), kind: 'bad episode_end', code: 'BAD_MESSAGE' };
    case 10:
      // Nested deeper than the documented 32 levels (a few levels over, or thousands), or over 1,024 object fields.
      return rng.bernoulli(0.75)
        ? { data: deepObs(pick([33, 40, 5000, 100000])), kind: 'too deep', code: 'TOO_DEEP' }
        : { data: JSON.stringify({ ...validObs(), info: Object.fromEntries(Array.from({ length: rng.integer(1025, 5000) }, (_, i) => [`k${i}`, i])) }), kind: 'too many fields', code: 'TOO_MANY_FIELDS' };
    case 11: {
      // Announcements over the documented limits: space sizes, control rate.
      const which = rng.integer(0, 5);
      const m = validHello();
      if (which === 4) m.observationSpace = { type: 'Dict', spaces: { image: { type: 'Box', low: [0], high: [255], shape: [97, 96, 3], dtype: 'uint8' } } }; // over the image limit
      else if (which === 0) m.observationSpace = { type: 'Discrete', n: 1e308 };
      else if (which === 1) m.observationSpace = { type: 'MultiBinary', shape: [1e9] };
      else if (which === 2) m.actionSpace = { type: 'MultiDiscrete', nvec: [2, 1e9] };
      else m.controlRateHz = pick([5e-324, 0.01, 1e6]);
      return { data: JSON.stringify(m), kind: 'oversized hello', code: which === 3 ? 'BAD_MESSAGE' : handshaken ? 'OUT_OF_ORDER' : 'BAD_SPACE' };
    }
    case 12:
      // A long unknown field name, or an object crafted to break naive error formatting.
      return rng.bernoulli()
        ? { data: JSON.stringify({ type: 'heartbeat', t: 1, ['k'.repeat(rng.integer(100, 200000))]: 1 }), kind: 'long field name', code: 'BAD_MESSAGE' }
        : { data: JSON.stringify({ ...validHello(), safeAction: { constructor: { name: { toString: 1 } } } }), kind: 'crafted object', code: 'BAD_MESSAGE' };
    default:
      // Before the handshake, even a keep-alive is out of order.
      return { data: JSON.stringify({ type: 'heartbeat', t: 1 }), kind: 'early heartbeat', code: 'OUT_OF_ORDER' };
  }
}

async function attacker(url: string, n: number, seed: number, handshake: boolean): Promise<{ errors: Array<{ code: string; message: string }>; sent: Case[] }> {
  const ws = new WebSocket(url);
  const errors: Array<{ code: string; message: string }> = [];
  let waiter: (() => void) | null = null;
  let want = 0;
  ws.on('message', (d, isBinary) => {
    assert.equal(isBinary, false);
    const m = JSON.parse(d.toString());
    if (m.type === 'error') errors.push(m);
    else assert.ok(m.type === 'heartbeat' || m.type === 'welcome', `unexpected ${m.type}`);
    if (waiter && errors.length >= want) waiter();
  });
  await new Promise((r) => ws.once('open', r));
  if (handshake) {
    ws.send(JSON.stringify(baseHello()));
    await new Promise<void>((r) => ws.once('message', () => r()));
  }
  const rng = new Rng(seed);
  const sent: Case[] = [];
  while (sent.length < n) {
    // Batches stay under the default burst of the message-rate limit (500), and go no faster than its rate
    // (5,000/s: 250 per 50 ms, see below), so no message is dropped.
    const batchStart = performance.now();
    const batch = Math.min(250, n - sent.length);
    for (let i = 0; i < batch; i++) {
      const c = malformed(rng, handshake);
      sent.push(c);
      ws.send(c.data);
    }
    want = sent.length;
    // On a timeout, stop sending: the pairing below then names the first message without its error.
    const complete = await new Promise<boolean>((resolve) => {
      if (errors.length >= want) return resolve(true);
      const t = setTimeout(() => resolve(false), 30000);
      waiter = () => {
        clearTimeout(t);
        waiter = null;
        resolve(true);
      };
    });
    if (!complete) break;
    // On a quiet machine the replies to a batch come back before the bucket has refilled the 250 tokens it spent.
    await new Promise((r) => setTimeout(r, Math.max(0, 60 - (performance.now() - batchStart))));
  }
  assert.equal(ws.readyState, WebSocket.OPEN, 'the server must keep the connection');
  ws.close();
  return { errors, sent };
}

test('fuzz: 10,000 malformed messages under the DEFAULT rate limits each get the error code they must get, naming the problem; other robots are unaffected', async () => {
  // Default message/byte/processing budgets. Only the deadlines are long: the attackers, the server and the healthy
  // robot share one event loop here, and the pre-handshake attacker must outlive the hello deadline.
  // The attackers that never complete a hello must outlast the whole run: 30-60 s at load 20-30, up to 100 s at load 35.
  // The parse threads keep the process's priority (parseWorkerNice 0): this test checks replies, not scheduling, and at
  // load 25-35 on 2 cores a thread at the default nice 10 got so little CPU that a batch's large messages went
  // unanswered for 30 s (the same run passes at nice 0, as before the default changed).
  const r = closeAtEnd(await rig(1, { heartbeatMs: 60000, handshakeTimeoutMs: 180000, stepTimeoutMs: 10000, parseWorkerNice: 0 }));
  const remote = r.server.robot('robot-0')!;
  const local = new LineEnv();
  let healthySteps = 0;
  let stop = false;
  // A healthy robot keeps stepping throughout, and must see exactly what a local env gives.
  const healthy = (async () => {
    let o = (await remote.reset({ seed: 11 })).obs as Float32Array;
    let l = local.reset({ seed: 11 }).obs;
    while (!stop) {
      // At most ~1,000 steps/s: unpaced lockstep over loopback can pass the default 5,000 messages/s when the
      // server is not busy (its messages would then be dropped as RATE_LIMITED and the step would time out).
      await new Promise((resolve) => setTimeout(resolve, 1));
      assert.deepEqual(Array.from(o), Array.from(l));
      const a = Float32Array.of(Math.sin(healthySteps));
      const s = await remote.step(a);
      const ls = local.step(a);
      healthySteps++;
      o = s.obs as Float32Array;
      l = ls.obs;
      if (s.terminated) {
        o = (await remote.reset({ seed: healthySteps })).obs as Float32Array;
        l = local.reset({ seed: healthySteps }).obs;
      }
    }
  })();
  const url = `ws://127.0.0.1:${r.server.port}/`;
  try {
    const [pre, post] = await Promise.all([attacker(url, 5000, 1, false), attacker(url, 5000, 2, true)]);
    stop = true;
    await healthy;
    const kinds = new Set<string>();
    for (const { errors, sent } of [pre, post]) {
      for (let i = 0; i < sent.length; i++) {
        const e = errors[i] ?? { code: 'no reply', message: '' };
        kinds.add(sent[i].kind);
        assert.equal(e.code, sent[i].code, `message ${i} (${sent[i].kind}: ${String(sent[i].data).slice(0, 120)}) got ${e.code}: ${e.message.slice(0, 300)}`);
        assert.match(e.message, /^[\w().[\]-]+(\.[\w()[\]-]+)*: expected .+, got .+\./s, e.message);
        assert.ok(e.message.length <= 1000, `an error message of ${e.message.length} characters echoes its input: ${e.message.slice(0, 200)}`);
        assert.doesNotMatch(e.message, /RangeError|TypeError|call stack/);
      }
      assert.equal(errors.length, 5000);
    }
    const codes = new Set([...pre.errors, ...post.errors].map((e) => e.code));
    for (const c of ['BAD_JSON', 'BAD_MESSAGE', 'BAD_FRAME', 'PAYLOAD_TOO_LARGE', 'OUT_OF_ORDER', 'UNEXPECTED_SEQ', 'BAD_SPACE', 'UNSUPPORTED_VERSION', 'BAD_ACTION', 'TOO_DEEP', 'TOO_MANY_FIELDS']) assert.ok(codes.has(c), `no ${c} error`);
    assert.ok(kinds.size >= 18, [...kinds].join(', '));
    assert.ok(healthySteps >= 20, `healthy robot made only ${healthySteps} steps`);
    assert.ok(remote.connected);
  } finally {
    stop = true;
    await r.close();
  }
});

test('error messages name the problem (pinned)', async () => {
  const r = closeAtEnd(await rig(0));
  const ws = new WebSocket(`ws://127.0.0.1:${r.server.port}/`);
  const replies: string[] = [];
  ws.on('message', (d) => replies.push(JSON.parse(d.toString()).message));
  await new Promise((res) => ws.once('open', res));
  const sends: Array<string | Uint8Array> = [
    '{"type":"obs"',
    JSON.stringify(validObs()),
    JSON.stringify({ ...baseHello(), controlRateHz: 'fast' }),
    JSON.stringify({ ...baseHello(), protocol: 2 }),
    encodeFrame(FRAME_KIND_OBS, 3, Float32Array.of(1, NaN)),
    JSON.stringify({ type: 'warp' }),
  ];
  for (const s of sends) ws.send(s);
  while (replies.length < sends.length) await new Promise((res) => setTimeout(res, 5));
  // The parser's own wording differs between Node versions.
  assert.match(replies.shift()!, /^BridgeServer\.message: expected a JSON object, got "\{\\"type\\":\\"obs\\"" \(.+\)\. Send one JSON object per text frame\.$/);
  assert.deepEqual(replies, [
    "BridgeServer.message.obs: expected a hello first, got 'obs' before the handshake. Send hello and wait for welcome.",
    'BridgeServer.message.hello.controlRateHz: expected a number, got "fast". See docs/bridge-protocol.md for the message fields.',
    'BridgeServer.message.hello.protocol: expected protocol 1, got 2. Upgrade the robot client or the server.',
    'BridgeServer.frame.values[1]: expected a finite number, got NaN. See the binary frame layout in docs/bridge-protocol.md.',
    `BridgeServer.message.type: expected one of "hello", "obs", "heartbeat", "episode_end", "error", got "warp". See docs/bridge-protocol.md for the message fields.`,
  ]);
  ws.close();
  await r.close();
});

test('a message over the hard limit (4 x maxMessageBytes) closes only that socket, with 1009', async () => {
  const r = closeAtEnd(await rig(1, { maxMessageBytes: 1024 }));
  const remote = r.server.robot('robot-0')!;
  await remote.reset({ seed: 0 });
  const ws = new WebSocket(`ws://127.0.0.1:${r.server.port}/`);
  await new Promise((res) => ws.once('open', res));
  const replies: string[] = [];
  ws.on('message', (d) => replies.push(JSON.parse(d.toString()).code));
  ws.send('x'.repeat(2000)); // over the soft limit: an error, socket kept
  await until(() => replies.length > 0, 'the PAYLOAD_TOO_LARGE reply');
  assert.deepEqual(replies, ['PAYLOAD_TOO_LARGE']);
  const closed = new Promise<number>((res) => ws.on('close', (code) => res(code)));
  ws.send(new Uint8Array(5000));
  assert.equal(await closed, 1009);
  await remote.step(Float32Array.of(0.5));
  assert.ok(remote.connected);
  await r.close();
});
