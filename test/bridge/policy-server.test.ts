import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Box } from '../../src/core/spaces/box.js';
import { Dict } from '../../src/core/spaces/dict.js';
import type { Policy } from '../../src/core/policy.js';
import { BridgeServer } from '../../src/bridge/bridge-server.js';
import { servePolicy } from '../../src/bridge/policy-server.js';
import { envRobotHandler } from '../../src/bridge/env-robot-handler.js';
import { loadPolicy } from '../../agents/checkpoint/load-policy.js';
import { startServe } from '../../src/cli/commands/serve.js';
import { connectLine, LineEnv, rawPeer, sleep } from './fixtures.js';
import type { RobotClient } from '../../src/bridge/robot-client.js';

/** Pushes with force 0 whatever it sees (a LineEnv robot then never ends its episode). */
const zeroPolicy: Policy = { observationSpace: new Box(-10, 10, [2]), actionSpace: new Box(-1, 1, [1]), act: (obs) => new Float32Array(obs.length / 2) };

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test('defect 6: vanished robots are reported once, forgotten after forgetAfterMs, and do not keep a retry loop', async () => {
  const server = await BridgeServer.listen({ port: 0, reconnectGraceMs: 20, forgetAfterMs: 400 });
  const errors: string[] = [];
  const handle = servePolicy(server, zeroPolicy, { onError: (e, id) => errors.push(`${id}: ${e.message}`) });
  const clients: RobotClient[] = [];
  const envs: LineEnv[] = [];
  try {
    for (let i = 0; i < 10; i++) {
      const env = new LineEnv();
      envs.push(env);
      clients.push(await connectLine(server, `gone-${i}`, envRobotHandler(env), env));
    }
    await until(() => envs.every((e) => !Number.isNaN(e.lastAction)), 5000, 'every robot to be driven');
    for (const c of clients) await c.close();
    await sleep(1000);
    assert.ok(errors.length <= 10, `${errors.length} errors in 1 s for 10 vanished robots:\n${errors.slice(0, 5).join('\n')}`);
    assert.deepEqual(server.robots().map((r) => r.robotId), [], 'forgotten after forgetAfterMs');
    // A robot that comes back after being forgotten is a new robot, driven again.
    const env = new LineEnv();
    clients.push(await connectLine(server, 'gone-0', envRobotHandler(env), env));
    await until(() => !Number.isNaN(env.lastAction), 5000, 'the returning robot to be driven');
  } finally {
    const t0 = performance.now();
    await handle.stop();
    assert.ok(performance.now() - t0 < 500, `stop() took ${performance.now() - t0} ms`);
    for (const c of clients) await c.close();
    await server.close();
  }
});

test('defect 6: stop() is prompt while a loop waits for a robot to reconnect (default reconnect grace, 10 s)', async () => {
  const server = await BridgeServer.listen({ port: 0 });
  const handle = servePolicy(server, zeroPolicy);
  const env = new LineEnv();
  const client = await connectLine(server, 'away', envRobotHandler(env), env);
  try {
    await until(() => !Number.isNaN(env.lastAction), 5000, 'the robot to be driven');
    await client.close();
    await sleep(200);
    const t0 = performance.now();
    await handle.stop();
    assert.ok(performance.now() - t0 < 500, `stop() took ${(performance.now() - t0).toFixed(0)} ms`);
  } finally {
    await handle.stop();
    await client.close();
    await server.close();
  }
});

test('defect 5: robot-supplied text (episode_end reasons, close reasons, space keys) cannot forge lines in the lamkit serve log', async () => {
  const lines: string[] = [];
  const serve = await startServe({ checkpoint: 'test/fixtures/checkpoint-v1/cartpole', port: '0' }, (l) => lines.push(l));
  const policy = await loadPolicy('test/fixtures/checkpoint-v1/cartpole');
  const forged = 'episode robot=evil return=999.000 length=1';
  const hello = { type: 'hello', protocol: 1, observationSpace: policy.observationSpace.toJSON(), actionSpace: policy.actionSpace.toJSON(), controlRateHz: 50, safeAction: [0] };
  const url = `ws://127.0.0.1:${serve.port}/`;
  const a = await rawPeer(url);
  const b = await rawPeer(url);
  try {
    // a: answers resets; ends its first episode with a reason carrying forged lines, and closes with one during the second.
    let actions = 0;
    a.ws.on('message', (d) => {
      const m = JSON.parse(String(d));
      if (m.type === 'reset') a.ws.send(JSON.stringify({ type: 'obs', seq: m.seq, obs: [0, 0, 0, 0] }));
      if (m.type === 'action' && ++actions === 1) a.ws.send(JSON.stringify({ type: 'episode_end', seq: m.seq, reason: `fault\n${forged}\r\n${forged}` }));
      else if (m.type === 'action' && actions === 2) a.ws.close(1000, `bye\n${forged}`);
    });
    a.ws.send(JSON.stringify({ ...hello, robotId: 'forger' }));
    await until(() => lines.some((l) => l.includes('bye')), 10000, 'the close reason to be logged');
    // b: a Dict observation space whose key carries a forged line (logged on connect, then refused by the policy).
    b.ws.send(JSON.stringify({ ...hello, robotId: 'forger-2', observationSpace: new Dict({ [`x\n${forged}`]: new Box(0, 1, [4]) }).toJSON() }));
    await until(() => lines.some((l) => l.startsWith('robot=forger-2 ')), 10000, 'the space mismatch to be logged');
    for (const l of lines) {
      assert.doesNotMatch(l, /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/, `a control character in a log line: ${JSON.stringify(l)}`);
      assert.ok(!l.startsWith('episode robot=evil'), `a forged line: ${l}`);
    }
    assert.ok(lines.some((l) => l.includes(`(reason ${JSON.stringify(`fault\n${forged}\r\n${forged}`)})`)), lines.join('\n'));
  } finally {
    a.ws.close();
    b.ws.close();
    await serve.close();
  }
});
