import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getPriority } from 'node:os';
import { BridgeServer } from '../../src/bridge/bridge-server.js';
import { PARSE_WORKER_NICE } from '../../src/bridge/parse-pool.js';
import { expensiveMessage, lineHello, rawPeer } from './fixtures.js';

/** Large messages that each get an error: before the handshake, nested too deep, a long unknown field name, too many fields. */
const LARGE = [
  JSON.stringify({ type: 'obs', seq: 1, obs: Array.from({ length: 3000 }, (_, i) => i / 8) }),
  `{"type":"obs","seq":1,"obs":${'['.repeat(50000)}${']'.repeat(50000)}}`,
  JSON.stringify({ type: 'heartbeat', t: 1, ['x'.repeat(20000)]: 1 }),
  JSON.stringify({ type: 'obs', seq: 1, obs: [1], info: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i])) }),
  expensiveMessage(200_000),
  JSON.stringify(lineHello({ safeAction: Array.from({ length: 3000 }, () => 'x') })),
];

async function replies(server: BridgeServer, messages: string[]): Promise<Array<Record<string, unknown>>> {
  const peer = await rawPeer(server.url);
  try {
    for (const m of messages) peer.ws.send(m);
    return (await peer.waitFor(messages.length, 30000)).map(({ code, message }) => ({ code, message }));
  } finally {
    peer.ws.close();
  }
}

test('large messages are parsed in worker threads once they are ready: the same replies as parsed on the event loop, and a robot steps through them', async () => {
  const inline = await BridgeServer.listen({ port: 0, heartbeatMs: 60000, offloadParseBytes: Number.POSITIVE_INFINITY });
  // parseWorkerNice 0: this test is about what the workers reply, not their priority; at the default nice 10 a
  // machine loaded by other processes (load 20+) can starve the workers past any timeout.
  const pooled = await BridgeServer.listen({ port: 0, heartbeatMs: 60000, offloadParseBytes: 1024, parseWorkerNice: 0 });
  try {
    const expected = await replies(inline, LARGE);
    assert.deepEqual(expected.map((r) => r.code), ['OUT_OF_ORDER', 'TOO_DEEP', 'BAD_MESSAGE', 'TOO_MANY_FIELDS', 'OUT_OF_ORDER', 'BAD_MESSAGE']);
    assert.equal(inline.parsePool.requests, 0, 'offloadParseBytes: Infinity parses everything inline');
    assert.equal(pooled.parsePool.ready, false, 'no worker before the first large message');
    // The first large message is parsed inline and starts the workers (seconds from the TypeScript sources on a busy machine).
    assert.deepEqual(await replies(pooled, LARGE.slice(0, 1)), expected.slice(0, 1));
    assert.equal(pooled.parsePool.requests, 0);
    assert.equal(await pooled.parsePool.whenReady(), true, 'a parse worker within 30 s');
    const nice = Math.max(0, getPriority()); // parseWorkerNice 0 keeps the process priority
    if (process.platform === 'linux') assert.ok(pooled.parsePool.workerNice.every((n) => n === nice), `the parse threads run at nice ${nice}: ${pooled.parsePool.workerNice.join(', ')}`);
    assert.deepEqual(await replies(pooled, LARGE), expected, 'the same codes and messages from the workers');
    assert.equal(pooled.parsePool.requests, LARGE.length);

    // A robot's large observations go through the workers to the RemoteEnv, in order, with their info.
    const peer = await rawPeer(pooled.url);
    try {
      peer.ws.send(JSON.stringify(lineHello()));
      await peer.waitFor(1);
      const [env] = await pooled.waitForRobots(1);
      const pad = 'p'.repeat(4000);
      peer.ws.on('message', (d) => {
        const m = JSON.parse(String(d));
        if (m.type === 'reset' || m.type === 'action') peer.ws.send(JSON.stringify({ type: 'obs', seq: m.seq, obs: [m.seq, 0.5], reward: 1, info: { pad, seq: m.seq } }));
      });
      const before = pooled.parsePool.requests;
      const r = await env.reset({ seed: 1 });
      assert.deepEqual(Array.from(r.obs as Float32Array), [(r.info as { seq: number }).seq, 0.5]);
      assert.equal((r.info as { pad: string }).pad, pad);
      for (let k = 0; k < 5; k++) {
        const s = await env.step(Float32Array.of(0));
        assert.equal(s.reward, 1);
        assert.equal((s.info as { pad: string }).pad.length, 4000);
        assert.equal((s.info as { seq: number }).seq, (s.obs as Float32Array)[0]);
      }
      assert.equal(pooled.parsePool.requests - before, 6, 'every observation went through a worker');
      // A value past float32's range, found by the worker's conversion: the same error as a scan on the loop would give.
      const far = Array.from({ length: 3000 }, (_, i) => (i === 2000 ? '1e39' : '0.5')).join(',');
      peer.ws.send(`{"type":"obs","seq":99,"obs":[${far}]}`);
      const t0 = performance.now();
      let bad: Record<string, unknown> | undefined;
      while (!(bad = peer.replies.find((m) => m.type === 'error'))) {
        assert.ok(performance.now() - t0 < 30000, 'an error reply within 30 s');
        await new Promise((r) => setTimeout(r, 5));
      }
      assert.equal(bad.code, 'BAD_OBSERVATION');
      assert.match(String(bad.message), /^BridgeServer\.message\.obs\.obs\[2000\]: expected a finite float32, got Infinity/);
      assert.equal(pooled.parsePool.requests - before, 7);
    } finally {
      peer.ws.close();
    }
  } finally {
    await inline.close();
    await pooled.close();
  }
  assert.equal(pooled.parsePool.ready, false, 'close() stops the workers');
});

test('by default the parse threads run at nice 10 (PARSE_WORKER_NICE), below the event loop that steps the robots', async () => {
  const server = await BridgeServer.listen({ port: 0, heartbeatMs: 60000, offloadParseBytes: 1024 });
  try {
    assert.equal(PARSE_WORKER_NICE, 10);
    await replies(server, LARGE.slice(0, 1)); // the first large message starts the workers
    assert.equal(await server.parsePool.whenReady(), true, 'a parse worker within 30 s');
    const nice = Math.max(PARSE_WORKER_NICE, getPriority()); // a process started at a higher nice keeps it
    if (process.platform === 'linux') assert.ok(server.parsePool.workerNice.every((n) => n === nice), `the parse threads run at nice ${nice}: ${server.parsePool.workerNice.join(', ')}`);
  } finally {
    await server.close();
  }
});

test('parseWorkerNice: an integer in [0, 19]', async () => {
  for (const bad of [20, -1, 2.5, '5']) {
    await assert.rejects(BridgeServer.listen({ port: 0, parseWorkerNice: bad as number }), /BridgeServer\.listen\.parseWorkerNice: expected an integer in \[0, 19\], got /);
  }
});
