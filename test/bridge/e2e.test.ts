import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../envs/index.js';
import { make } from '../../src/registry/registry.js';
import { AsyncEnvVector } from '../../src/vector/async-env-vector.js';
import { BridgeServer } from '../../src/bridge/bridge-server.js';
import { RobotClient } from '../../src/bridge/robot-client.js';
import { envRobotHandler } from '../../src/bridge/env-robot-handler.js';
import { MetricStream } from '../../src/streams/metrics.js';
import { PPO } from '../../agents/algos/ppo/ppo.js';
import { resolvePpoConfig } from '../../agents/algos/ppo/ppo-config.js';
import { ppoDefaultsFor } from '../../agents/algos/ppo/task-defaults.js';
import { saveCheckpoint } from '../../agents/checkpoint/save-checkpoint.js';
import { ppoCheckpoint } from '../../agents/algos/ppo/ppo-checkpoint.js';
import { startServe } from '../../src/cli/commands/serve.js';
import { startSimRobot } from '../../src/cli/commands/sim-robot.js';
import { closeAtEnd } from '../helpers/close-at-end.js';

const out = mkdtempSync(join(tmpdir(), 'lamkit-bridge-e2e-'));
const checkpointDir = join(out, 'checkpoint');

test('PPO trains on two simulated robots connected over the bridge; metrics flow; a checkpoint is written', async () => {
  const server = closeAtEnd(await BridgeServer.listen({ port: 0 }));
  const robots: RobotClient[] = [];
  for (let i = 0; i < 2; i++) {
    const env = make('CartPole-v1');
    robots.push(
      closeAtEnd(await RobotClient.connect({ url: server.url, robotId: `cartpole-${i}`, observationSpace: env.observationSpace, actionSpace: env.actionSpace, controlRateHz: 50, safeAction: [0], handler: envRobotHandler(env), watchdogMs: 60000 })),
    );
  }
  const vec = closeAtEnd(new AsyncEnvVector(await server.waitForRobots(2, 5000)));
  const config = resolvePpoConfig({ ...ppoDefaultsFor('CartPole-v1', true), numEnvs: 2, numSteps: 128, totalSteps: 1024, seed: 3 });
  const metrics = new MetricStream();
  const rows: Array<Record<string, number>> = [];
  metrics.subscribe((row) => rows.push(row as unknown as Record<string, number>));
  const meta = { envId: 'CartPole-v1', observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, backend: 'test' };
  const ppo = await PPO.create(vec, config, { metrics, onCheckpoint: (state) => saveCheckpoint(checkpointDir, ppoCheckpoint(state, meta)) });
  const result = await ppo.learn();
  ppo.dispose();
  assert.equal(result.globalStep, 1024);
  assert.ok(result.episodes.length >= 4, `${result.episodes.length} episodes`);
  const keys = new Set(rows.flatMap((r) => Object.keys(r)));
  for (const k of ['charts/episodic_return', 'losses/value_loss', 'losses/policy_loss', 'losses/approx_kl']) assert.ok(keys.has(k), `no ${k} in ${[...keys].join(', ')}`);
  for (const r of rows) for (const [k, v] of Object.entries(r)) assert.ok(Number.isFinite(v), `${k} = ${v}`);
  await vec.close();
  for (const r of robots) await r.close();
  await server.close();
});

test('a checkpoint drives a sim-robot through lamkit serve (token required)', async () => {
  const lines: string[] = [];
  const serve = closeAtEnd(await startServe({ checkpoint: checkpointDir, port: '0', token: 'tok' }, (l) => lines.push(l)));
  const robot = closeAtEnd(await startSimRobot({ env: 'CartPole-v1', connect: `ws://127.0.0.1:${serve.port}/`, token: 'tok', watchdogMs: '5000' }));
  const t0 = performance.now();
  while (serve.episodes < 2 && performance.now() - t0 < 20000) await new Promise((r) => setTimeout(r, 20));
  assert.ok(serve.episodes >= 2, `served ${serve.episodes} episodes; log:\n${lines.join('\n')}`);
  assert.ok(robot.episodes >= 2);
  assert.ok(lines.some((l) => /^robot connected: CartPole-v1-sim \(Box\(.*\) -> Discrete\(2\), 50 Hz\)$/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /^episode robot=CartPole-v1-sim return=\d+\.000 length=\d+/.test(l)));
  await serve.close();
  await robot.close();
  await assert.rejects(startSimRobot({ env: 'CartPole-v1', connect: 'localhost:1' }), { message: 'lamkit sim-robot --connect: expected a ws:// or wss:// URL, got "localhost:1". Pass e.g. --connect ws://127.0.0.1:8765/.' });
  rmSync(out, { recursive: true, force: true });
});

test('lamkit sim-robot --env ArmReach-v0 is driven over the bridge; CLI flag errors are typed', async () => {
  const { Rng } = await import('../../src/core/rng.js');
  const { main } = await import('../../src/cli/main.js');
  const server = closeAtEnd(await BridgeServer.listen({ port: 0 }));
  const robot = closeAtEnd(await startSimRobot({ env: 'ArmReach-v0', connect: server.url, robotId: 'arm-7' }));
  const [arm] = await server.waitForRobots(1, 10000);
  assert.equal(arm.robotId, 'arm-7');
  assert.equal(arm.actionSpace.toString(), 'Box(-1.0, 1.0, (6,), float32)');
  const local = closeAtEnd(await (await import('../../src/registry/registry.js')).makeAsync('ArmReach-v0'));
  const a = await arm.reset({ seed: 5 });
  const b = local.reset({ seed: 5 });
  assert.deepEqual(Array.from(a.obs as Float64Array), Array.from(Float32Array.from(b.obs as Float64Array)));
  const rng = new Rng(0);
  for (let i = 0; i < 20; i++) {
    const act = arm.actionSpace.sample(rng);
    const s = await arm.step(act);
    const l = local.step(act);
    assert.equal(s.reward, l.reward);
  }
  local.close();
  await robot.close();
  await server.close();
  const errs: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (errs.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    assert.equal(await main(['serve', '--checkpoint', '/nowhere', '--port', 'abc']), 2);
  } finally {
    process.stderr.write = write;
  }
  assert.equal(errs.join(''), 'lamkit: InvalidArgument: lamkit serve --port: expected an integer >= 0, got "abc". Pass e.g. --port 8765.\n');
});
