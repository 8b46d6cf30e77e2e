import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BridgeServer } from '../../src/bridge/bridge-server.js';
import { LineEnv } from './fixtures.js';
import { closeAtEnd } from '../helpers/close-at-end.js';

test('RobotClient on the WHATWG WebSocket API (browser path): query-string token, ArrayBuffer frames', async () => {
  const server = closeAtEnd(await BridgeServer.listen({ port: 0, token: 'browser-token' }));
  const child = closeAtEnd(spawn(process.execPath, ['--experimental-websocket', '--no-warnings', '--import', 'tsx', fileURLToPath(new URL('./whatwg-robot.ts', import.meta.url)), server.url, 'browser-token'], { stdio: ['ignore', 'pipe', 'inherit'] }));
  let out = '';
  child.stdout.on('data', (d) => (out += String(d)));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const [remote] = await server.waitForRobots(1, 20000);
  assert.equal(remote.robotId, 'browser-like');
  const local = new LineEnv();
  const a = await remote.reset({ seed: 8 });
  assert.deepEqual(Array.from(a.obs as Float32Array), Array.from(local.reset({ seed: 8 }).obs));
  for (let i = 0; i < 10; i++) {
    const s = await remote.step(Float32Array.of(0.25));
    assert.deepEqual(Array.from(s.obs as Float32Array), Array.from(local.step(Float32Array.of(0.25)).obs));
  }
  remote.emergencyStop('test over');
  assert.equal(await exited, 0);
  assert.match(out, /^connected\nestop lastAction=0.25\n$/);
  await server.close();
});

test('RobotClientCore (lamkit/browser) never loads ws: without a WebSocket it says what to pass', { skip: typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function' ? 'this Node has a global WebSocket' : false }, async () => {
  const { RobotClientCore } = await import('../../src/bridge/robot-client-core.js');
  const env = new LineEnv();
  await assert.rejects(
    RobotClientCore.connect({ url: 'ws://127.0.0.1:9/', robotId: 'r', observationSpace: env.observationSpace, actionSpace: env.actionSpace, controlRateHz: 50, safeAction: [0], handler: { reset: () => ({ obs: [0] }), act: () => ({ obs: [0] }), applySafeAction: () => {} } }),
    (e: Error) => {
      assert.equal(e.name, 'InvalidArgument');
      assert.equal(e.message, "RobotClient.connect.WebSocket: expected a WebSocket implementation (options.WebSocket or globalThis.WebSocket), got undefined. Pass options.WebSocket, or in Node import RobotClient from 'lamkit' (it falls back to the ws package).");
      return true;
    },
  );
});
