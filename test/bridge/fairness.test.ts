import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { Box } from '../../src/core/spaces/box.js';
import { BridgeServer } from '../../src/bridge/bridge-server.js';
import type { RemoteEnv } from '../../src/bridge/remote-env.js';
import { connectLine, expensiveMessage, LineEnv, sleep } from './fixtures.js';
import { envRobotHandler } from '../../src/bridge/env-robot-handler.js';

/** Steps `env` on a 100 Hz schedule for `ms` and returns the gaps (ms) between consecutive completed steps. */
async function stepAt100Hz(env: RemoteEnv, ms: number): Promise<number[]> {
  const gaps: number[] = [];
  await env.reset({ seed: 0 });
  const t0 = performance.now();
  let last = t0;
  for (let k = 1; performance.now() - t0 < ms; k++) {
    const wait = t0 + k * 10 - performance.now();
    if (wait > 0) await sleep(wait);
    else k = Math.floor((performance.now() - t0) / 10); // late: the next step is due now, not in a burst
    const s = await env.step(Float32Array.of(0));
    const now = performance.now();
    gaps.push(now - last);
    last = now;
    if (s.terminated || s.truncated) await env.reset();
  }
  return gaps;
}

const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

test('fairness: a robot flooding expensive valid-size messages does not starve a 100 Hz robot (default budgets)', async () => {
  const token = 'fair-token';
  const server = await BridgeServer.listen({ port: 0, token });
  const env = new LineEnv();
  const healthy = await connectLine(server, 'healthy', envRobotHandler(env), env, { token });
  const [remote] = await server.waitForRobots(1, 5000);
  const flooder = new Worker(new URL('./flooder-worker.mjs', import.meta.url), {
    workerData: {
      url: server.url,
      token,
      hello: { type: 'hello', protocol: 1, robotId: 'flooder', observationSpace: new Box(-10, 10, [2]).toJSON(), actionSpace: new Box(-1, 1, [1]).toJSON(), controlRateHz: 100, safeAction: [0] },
      message: expensiveMessage(server.maxMessageBytes - 64),
    },
  });
  try {
    await new Promise((resolve, reject) => flooder.once('message', resolve).once('error', reject));
    await sleep(300); // let the flood reach the server
    const gaps = await stepAt100Hz(remote, 3000);
    const p99 = quantile(gaps, 0.99);
    const max = Math.max(...gaps);
    const stats: { sent: number; replies: number } = await new Promise((resolve) => {
      flooder.once('message', resolve);
      flooder.postMessage('stop');
    });
    const summary = `healthy robot: ${gaps.length} steps in 3 s, step gap p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms; flooder sent ${stats.sent}, got ${stats.replies} replies`;
    console.log(summary);
    // Targets on a quiet 2-core machine: p99 < 20 ms, max < 250 ms (npm run bench:bridge). Here robot, server and
    // test share one event loop on a machine shared with other work (load 5-15), so the bounds are looser.
    // Before the budgets (issue 10): p99 785 ms, max 886 ms here (load 5). At load 13-15 without a flooder: p99 35 ms,
    // max 45-65 ms; with it: p99 50-125 ms, max 65-200 ms (one flood message takes 20-40 ms of wall time then).
    assert.ok(gaps.length >= 200, summary);
    assert.ok(p99 < 250, summary);
    assert.ok(max < 750, summary);
  } finally {
    await flooder.terminate();
    await healthy.close();
    await server.close();
  }
});
