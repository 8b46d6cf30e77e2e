import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineEnv, rig, sleep, connectLine } from './fixtures.js';
import { envRobotHandler } from '../../src/bridge/env-robot-handler.js';
import { BridgeDisconnectedError, BridgeTimeoutError, BridgeProtocolError } from '../../src/bridge/errors.js';
import { RobotClient } from '../../src/bridge/robot-client.js';
import { ResetNeeded } from '../../src/core/errors.js';
import { BridgeServer } from '../../src/bridge/bridge-server.js';
import { closeAtEnd } from '../helpers/close-at-end.js';
import { until } from '../helpers/until.js';

test('RemoteEnv reproduces the robot env step for step (binary and JSON frames)', async () => {
  for (const binary of [true, false]) {
    const r = closeAtEnd(await rig(1, {}, { binary }));
    const remote = r.server.robot('robot-0')!;
    const local = new LineEnv();
    const a = await remote.reset({ seed: 3 });
    const b = local.reset({ seed: 3 });
    assert.deepEqual(Array.from(a.obs as Float32Array), Array.from(b.obs));
    for (let t = 0; t < 20; t++) {
      const act = Float32Array.of(t % 2 ? 0.5 : -0.25);
      const s = await remote.step(act);
      const l = local.step(act);
      assert.deepEqual(Array.from(s.obs as Float32Array), Array.from(l.obs));
      assert.equal(s.reward, Math.fround(l.reward) === s.reward ? s.reward : l.reward);
      assert.equal(s.terminated, l.terminated);
    }
    await r.close();
  }
});

test('actions are clipped to the announced Box; a NaN action is never sent (safe action + safety event)', async () => {
  const r = closeAtEnd(await rig(1));
  const remote = r.server.robot('robot-0')!;
  const events: string[] = [];
  remote.onSafety((e) => events.push(`${e.fault}: ${e.detail}`));
  await remote.reset({ seed: 0 });
  await remote.step(Float32Array.of(7));
  assert.equal(r.envs[0].lastAction, 1);
  const s = await remote.step(Float32Array.of(NaN));
  assert.equal(r.envs[0].lastAction, 0);
  assert.equal(s.info.safetyFault, 'non_finite');
  await remote.step(Float32Array.of(-Infinity));
  assert.equal(r.envs[0].lastAction, 0);
  assert.deepEqual(events, ['non_finite: element 0 is NaN', 'non_finite: element 0 is -Infinity']);
  await r.close();
});

test('step before reset throws ResetNeeded; close is idempotent', async () => {
  const r = closeAtEnd(await rig(1));
  const remote = r.server.robot('robot-0')!;
  await assert.rejects(remote.step(Float32Array.of(0)), ResetNeeded);
  await r.close();
  await r.close();
  await remote.close();
});

test('a robot that stops answering makes step reject with a timeout; the episode ends truncated and the robot is told', async () => {
  const r = closeAtEnd(await rig(1, { stepTimeoutMs: 80 }));
  const remote = r.server.robot('robot-0')!;
  await remote.reset({ seed: 1 });
  const ends: string[] = [];
  r.clients[0].on('episodeEnd', (e) => ends.push(e.reason));
  const h = r.handlers[0];
  const act = h.act;
  h.act = () => new Promise(() => {}); // the robot hangs
  const t0 = performance.now();
  await assert.rejects(remote.step(Float32Array.of(0)), (err: unknown) => {
    assert.ok(err instanceof BridgeTimeoutError);
    assert.equal(err.message, 'RemoteEnv(robot-0).step: expected an observation within 80 ms, got none. The episode ended (truncated); check the robot, then call reset().');
    return true;
  });
  // Margin for a loaded machine (two busy processes on two cores): the point is that the 80 ms timeout fires, not never.
  assert.ok(performance.now() - t0 < 2000);
  await assert.rejects(remote.step(Float32Array.of(0)), ResetNeeded);
  await until(() => ends.length > 0, 'the episode_end at the robot');
  assert.deepEqual(ends, ['timeout']);
  h.act = act;
  await r.close();
});

test('wrong or missing token: the connection is refused', async () => {
  const r = closeAtEnd(await rig(0, { token: 's3cret' }));
  const env = new LineEnv();
  for (const token of ['wrong', undefined, 's3cret-but-longer']) {
    await assert.rejects(connectLine(r.server, 'intruder', envRobotHandler(env), env, token === undefined ? {} : { token }), (err: unknown) => {
      assert.ok(err instanceof BridgeProtocolError);
      assert.match(err.message, /401/);
      return true;
    });
  }
  const ok = closeAtEnd(await connectLine(r.server, 'friend', envRobotHandler(env), env, { token: 's3cret' }));
  assert.deepEqual(r.server.robots().map((e) => e.robotId), ['friend']);
  await ok.close();
  await r.close();
});

test('the robot-side watchdog applies the safe action within its deadline', async () => {
  const r = closeAtEnd(await rig(1, {}, { watchdogMs: 50 }));
  const remote = r.server.robot('robot-0')!;
  const fired: number[] = [];
  r.clients[0].on('watchdog', (e) => fired.push(e.elapsedMs));
  await remote.reset({ seed: 0 });
  await remote.step(Float32Array.of(0.1)); // arms after the obs is sent
  for (const t0 = performance.now(); fired.length === 0 && performance.now() - t0 < 2000; ) await sleep(10);
  assert.equal(fired.length, 1);
  // Never early; late only by timer and scheduling delay (generous: a loaded machine delays timers by tens of ms).
  assert.ok(fired[0] >= 49 && fired[0] < 50 + 250, `fired after ${fired[0]} ms`);
  assert.equal(r.handlers[0].safeActions.watchdog, 1);
  // A prompt action stream never trips it.
  for (let i = 0; i < 10; i++) await remote.step(Float32Array.of(0));
  assert.equal(fired.length, 1);
  await r.close();
});

test('emergency stop reaches the robot within one control tick and blocks actions until reset', async () => {
  const r = closeAtEnd(await rig(1));
  const remote = r.server.robot('robot-0')!;
  await remote.reset({ seed: 0 });
  const t0 = performance.now();
  const got = new Promise<number>((resolve) => r.clients[0].on('estop', () => resolve(performance.now() - t0)));
  remote.emergencyStop('operator');
  const ms = await got;
  // One loopback message; ~1 ms when the machine is quiet, more when two busy processes share its two cores.
  assert.ok(ms < 100, `estop took ${ms} ms`);
  assert.equal(r.handlers[0].safeActions.estop, 1);
  await assert.rejects(remote.step(Float32Array.of(0)), ResetNeeded);
  await remote.reset();
  await remote.step(Float32Array.of(0));
  await r.close();
});

test('disconnect mid-episode rejects step clearly; the robot reconnects and starts a new episode', async () => {
  const r = closeAtEnd(await rig(1, { reconnectGraceMs: 3000 }, { reconnect: { initialDelayMs: 30 } }));
  const remote = r.server.robot('robot-0')!;
  await remote.reset({ seed: 0 });
  await remote.step(Float32Array.of(0));
  const h = r.handlers[0];
  const act = h.act;
  h.act = () => new Promise(() => {});
  const pending = remote.step(Float32Array.of(0));
  await sleep(10);
  // Cut the robot's socket from the server side, as a network failure would.
  (r.clients[0] as unknown as { ws: WebSocket }).ws.close(4000, 'cable pulled');
  await assert.rejects(pending, (err: unknown) => {
    assert.ok(err instanceof BridgeDisconnectedError);
    assert.match(err.message, /^RemoteEnv\(robot-0\)\.step: expected the robot to stay connected until it answered, got a disconnect \(socket closed with code 4000 \("cable pulled"\)\)\. The episode ended; call reset\(\), which waits for the robot to reconnect\.$/);
    return true;
  });
  await until(() => h.safeActions.disconnect > 0, 'the safe action on disconnect');
  assert.equal(h.safeActions.disconnect, 1);
  h.act = act;
  const re = await remote.reset({ seed: 5 });
  assert.ok(remote.connected);
  assert.deepEqual(Array.from(re.obs as Float32Array), Array.from(new LineEnv().reset({ seed: 5 }).obs));
  await remote.step(Float32Array.of(0));
  assert.equal(r.server.robots().length, 1);
  await r.close();
});

test('a second robot with a connected id is refused; messages past the rate limit are dropped with an error', async () => {
  const r = closeAtEnd(await rig(1, { maxMessagesPerSecond: 100 }));
  const env = new LineEnv();
  await assert.rejects(connectLine(r.server, 'robot-0', envRobotHandler(env), env), /DUPLICATE_ROBOT: BridgeServer\.message\.hello\.robotId: expected an id not connected already, got 'robot-0', which is connected/);
  const errors: string[] = [];
  r.server.onError((e) => errors.push(e.bridgeCode));
  const ws = (r.clients[0] as unknown as { ws: WebSocket }).ws;
  for (let i = 0; i < 200; i++) ws.send(JSON.stringify({ type: 'heartbeat', t: i }));
  await until(() => errors.length > 0, 'the RATE_LIMITED error');
  await sleep(50);
  assert.deepEqual(errors, ['RATE_LIMITED']);
  await r.close();
});

test('RobotClient.connect validates its options', async () => {
  await assert.rejects(
    RobotClient.connect({ url: 'http://x', robotId: 'a' } as never),
    { message: 'RobotClient.connect.url: expected a ws:// or wss:// URL, got "http://x". Pass e.g. ws://127.0.0.1:8765/.' },
  );
});

test('TLS: hand in an https server; a robot connects over wss:// with the token', async () => {
  const { createServer } = await import('node:https');
  const { readFileSync } = await import('node:fs');
  const dir = new URL('./tls/', import.meta.url);
  const cert = readFileSync(new URL('localhost-cert.pem', dir));
  const https = createServer({ cert, key: readFileSync(new URL('localhost-key.pem', dir)) });
  await new Promise<void>((r) => https.listen(0, '127.0.0.1', () => r()));
  const server = closeAtEnd(await BridgeServer.listen({ server: https, token: 't' }));
  assert.match(server.url, /^wss:\/\/127\.0\.0\.1:\d+\/$/);
  const env = new LineEnv();
  const client = closeAtEnd(await RobotClient.connect({ url: server.url, token: 't', ca: cert, robotId: 'tls-bot', observationSpace: env.observationSpace, actionSpace: env.actionSpace, controlRateHz: 100, safeAction: [0], handler: envRobotHandler(env) }));
  const [remote] = await server.waitForRobots(1);
  await remote.reset({ seed: 2 });
  await remote.step(Float32Array.of(0.5));
  assert.equal(env.lastAction, 0.5);
  await client.close();
  await server.close();
  await new Promise<void>((r) => https.close(() => r()));
});

test('observations$ streams what the robot sends; sampleLatest bounds a slow consumer', async () => {
  const { sampleLatest } = await import('../../src/streams/sample-latest.js');
  const r = closeAtEnd(await rig(1));
  const remote = r.server.robot('robot-0')!;
  const seen: number[] = [];
  const sampled: Array<{ dropped: number }> = [];
  const sub = remote.observations$().subscribe((ev) => seen.push(ev.seq));
  const sub2 = remote.observations$().pipe(sampleLatest(1000)).subscribe((s) => sampled.push(s));
  await remote.reset({ seed: 0 });
  for (let i = 0; i < 5; i++) await remote.step(Float32Array.of(0));
  sub.unsubscribe();
  await remote.step(Float32Array.of(0));
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6]);
  sub2.unsubscribe();
  assert.deepEqual(sampled, []); // nothing flushed before the period: one value held, the rest counted as dropped
  await r.close();
});

test('a robot whose handler fails ends the episode at once: step rejects naming the failure', async () => {
  const r = closeAtEnd(await rig(1, { stepTimeoutMs: 5000 }));
  const remote = r.server.robot('robot-0')!;
  await remote.reset({ seed: 0 });
  r.handlers[0].act = () => {
    throw new Error('joint 3 over temperature');
  };
  const t0 = performance.now();
  await assert.rejects(remote.step(Float32Array.of(0)), {
    message: 'RemoteEnv(robot-0).step: expected an observation, got episode_end from the robot (reason "handler failed: joint 3 over temperature"). Call reset() to start a new episode.',
  });
  assert.ok(performance.now() - t0 < 2500, 'at once, not at the 5 s step timeout');
  assert.equal(r.handlers[0].safeActions.episode_end, 1);
  await r.close();
});

test('heartbeats keep a quiet robot connected; a silent socket or one without hello is closed', async () => {
  const { WebSocket } = await import('ws');
  // The handshake deadline (150 ms) is far below the idle one (1 s), so on a loaded machine the
  // mute socket still meets the handshake deadline first; heartbeats every 40 ms keep the robot.
  const r = closeAtEnd(await rig(1, { heartbeatMs: 40, idleTimeoutMs: 1000, handshakeTimeoutMs: 150 }));
  const sockets: Array<InstanceType<typeof WebSocket>> = [];
  try {
    const url = `ws://127.0.0.1:${r.server.port}/`;
    const mute = new WebSocket(url);
    sockets.push(mute);
    const muteClosed = new Promise<number>((res) => mute.on('close', (code) => res(code)));
    assert.equal(await muteClosed, 1008); // no hello within handshakeTimeoutMs
    await sleep(400);
    assert.ok(r.clients[0].connected, 'the RobotClient answers heartbeats and stays');
    // A socket that said hello and then fell silent is closed as idle.
    const silent = new WebSocket(url);
    sockets.push(silent);
    silent.on('message', () => {});
    await new Promise((res) => silent.once('open', res));
    const env = new LineEnv();
    silent.send(JSON.stringify({ type: 'hello', protocol: 1, robotId: 'silent', observationSpace: env.observationSpace.toJSON(), actionSpace: env.actionSpace.toJSON(), controlRateHz: 10, safeAction: [0] }));
    const code = await new Promise<number>((res) => silent.on('close', (c) => res(c)));
    assert.equal(code, 1001);
    await until(() => !r.server.robot('silent')!.connected, "the server to drop 'silent'");
  } finally {
    for (const s of sockets) s.terminate();
    await r.close();
  }
});

test('servePolicy drives robots whose spaces match and reports the others', async () => {
  const { servePolicy } = await import('../../src/bridge/policy-server.js');
  const { Box } = await import('../../src/core/spaces/box.js');
  const r = closeAtEnd(await rig(1));
  const env = new LineEnv();
  const errors: string[] = [];
  const episodes: number[] = [];
  const policy = { observationSpace: env.observationSpace, actionSpace: env.actionSpace, act: () => Float32Array.of(1) };
  const h = servePolicy(r.server, policy, { onError: (e) => errors.push(e.message), onEpisode: (ep) => episodes.push(ep.length), seed: 0 });
  const wrong = servePolicy(r.server, { ...policy, actionSpace: new Box(-2, 2, [1]) }, { onError: (e) => errors.push(e.message) });
  const t0 = performance.now();
  while (episodes.length < 2 && performance.now() - t0 < 5000) await sleep(5);
  assert.ok(episodes.length >= 2);
  assert.deepEqual(errors, [
    'servePolicy(robot-0): expected a robot with Box(-10.0, 10.0, (2,), float32) -> Box(-2.0, 2.0, (1,), float32), got Box(-10.0, 10.0, (2,), float32) -> Box(-1.0, 1.0, (1,), float32). Serve a checkpoint trained on this robot.',
  ]);
  await wrong.stop();
  await h.stop();
  await r.close();
});

test('paceToControlRate: actions go out no faster than the announced control rate', async () => {
  for (const pace of [false, true]) {
    // Robots announce 5 Hz: 11 paced steps take at least 10 periods (2 s). Unpaced ones take a few ms on a quiet
    // machine and were seen at 406 ms with two busy processes on the two cores: the bound leaves room for more.
    const r = closeAtEnd(await rig(1, { paceToControlRate: pace }, { controlRateHz: 5 }));
    const remote = r.server.robot('robot-0')!;
    await remote.reset({ seed: 0 });
    const t0 = performance.now();
    for (let i = 0; i < 11; i++) await remote.step(Float32Array.of(0));
    const ms = performance.now() - t0;
    if (pace) assert.ok(ms >= 1999, `11 paced steps at 5 Hz took ${ms} ms`);
    else assert.ok(ms < 1500, `11 unpaced steps took ${ms} ms`);
    await r.close();
  }
});

test('info fields the robot forwards reach the step result (JSON frames)', async () => {
  const { envRobotHandler } = await import('../../src/bridge/env-robot-handler.js');
  const server = closeAtEnd(await BridgeServer.listen({ port: 0 }));
  const env = new LineEnv();
  const step = env.step.bind(env);
  env.step = (a) => ({ ...step(a), info: { isSuccess: env.x > 0, secret: { big: true } } });
  const client = closeAtEnd(await connectLine(server, 'informative', envRobotHandler(env, { forwardInfo: ['isSuccess', 'secret'] }), env));
  const [remote] = await server.waitForRobots(1);
  await remote.reset({ seed: 0 });
  const s = await remote.step(Float32Array.of(1));
  assert.deepEqual(s.info, { isSuccess: env.x > 0, robotId: 'informative', seq: 2 });
  await client.close();
  await server.close();
});
