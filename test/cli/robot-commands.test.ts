import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { runTrain } from '../../src/cli/commands/train.js';
import { startServe, type ServeHandle } from '../../src/cli/commands/serve.js';
import { startSimRobot, type SimRobotHandle } from '../../src/cli/commands/sim-robot.js';

const root = mkdtempSync(join(tmpdir(), 'lamkit-robot-commands-'));
after(() => rmSync(root, { recursive: true, force: true }));
const checkpoint = 'test/fixtures/checkpoint-v1/cartpole';

/** A port held by another listener for the duration of `body`. */
async function withBusyPort(body: (port: number) => Promise<void>): Promise<void> {
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
  try {
    await body((blocker.address() as { port: number }).port);
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }
}

async function stderrOf(argv: string[]): Promise<{ code: number; stderr: string }> {
  const err: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { code: await main(argv), stderr: err.join('') };
  } finally {
    process.stderr.write = orig;
  }
}

test('a port in use is a one-line typed error with exit code 2 for lamkit serve and lamkit train --robots (was an EADDRINUSE stack trace)', async () => {
  await withBusyPort(async (port) => {
    const serve = await stderrOf(['serve', '--checkpoint', checkpoint, '--port', String(port)]);
    assert.equal(serve.code, 2);
    assert.equal(serve.stderr, `lamkit: InvalidArgument: lamkit serve --port: expected a free port, got ${port} (already in use on 127.0.0.1). Stop the program using it, or pass another --port (0 picks any free port).\n`);
    const out = join(root, 'busy');
    const train = await stderrOf(['train', '--robots', '1', '--port', String(port), '--env', 'CartPole-v1', '--out', out, '--no-progress']);
    assert.equal(train.code, 2);
    assert.equal(train.stderr, `lamkit: InvalidArgument: lamkit train --port: expected a free port, got ${port} (already in use on 127.0.0.1). Stop the program using it, or pass another --port (0 picks any free port).\n`);
    assert.ok(!existsSync(out), 'nothing written');
  });
});

test('the train --robots hint includes --token when a token is required (never the secret itself)', async () => {
  const lines: string[] = [];
  await assert.rejects(runTrain({ algo: 'ppo', vectorization: 'sync', progress: false, robots: '1', port: '0', waitMs: '50', token: 's3cret', env: 'CartPole-v1', out: join(root, 'hint') }, { log: (l) => lines.push(l) }), { name: 'BridgeTimeoutError' });
  assert.match(lines[0], /start each with e\.g\. lamkit sim-robot --env CartPole-v1 --connect ws:\/\/127\.0\.0\.1:\d+\/ --token <token> --robot-id <id>$/);
  assert.ok(!lines.join('\n').includes('s3cret'));
});

// How long the steady-state window of the README's serve + sim-robot demo lasts (the acceptance run used 60 s).
const DEMO_SECONDS = Number(process.env.LAMKIT_SERVE_DEMO_SECONDS ?? 3);

test(`lamkit serve paces a 50 Hz sim-robot at 50 steps/s, with no error lines (README demo, ${DEMO_SECONDS} s)`, { timeout: 60_000 + DEMO_SECONDS * 2000 }, async () => {
  const serveLog: string[] = [];
  const robotLog: string[] = [];
  let serve: ServeHandle | undefined;
  let robot: SimRobotHandle | undefined;
  try {
    serve = await startServe({ checkpoint, port: '0', token: 's3cret' }, (l) => serveLog.push(l));
    robot = await startSimRobot({ env: 'CartPole-v1', connect: `ws://127.0.0.1:${serve.port}/`, token: 's3cret', rate: '50' }, (l) => robotLog.push(l));
    await new Promise((r) => setTimeout(r, 500));
    const s0 = robot.steps;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, DEMO_SECONDS * 1000));
    const rate = (robot.steps - s0) / ((performance.now() - t0) / 1000);
    // Unpaced, the robot ran at ~1,000+ steps/s. Paced on a fixed grid it cannot beat 50 by more than jitter; a loaded machine may fall behind.
    assert.ok(rate <= 55 && rate >= 25, `${rate.toFixed(1)} steps/s for a robot that announced 50 Hz`);
    const errors = [...serveLog.filter((l) => l.startsWith('robot=')), ...robotLog.filter((l) => !/: (connected to|CartPole-v1 connected to) /.test(l))];
    assert.deepEqual(errors, [], 'no error lines');
  } finally {
    await robot?.close();
    await serve?.close();
  }
});

test('sim-robot --watchdog-ms help states the default the client applies (3 control periods, at least 20 ms)', async () => {
  // In its own process: the test runner reports through this process's stdout, so hijacking it here swallowed the previous test's result.
  const help = execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sim-robot', '--help'], { encoding: 'utf8' });
  assert.match(help.replace(/\s+/g, ' '), /--watchdog-ms <ms> apply the safe action when no action arrives within this many ms after an observation \(default: 3 control periods, at least 20 ms: 60 at 50 Hz\)/);
  // What RobotClient (which sim-robot runs) applies without --watchdog-ms.
  const { BridgeServer, RobotClient } = await import('../../src/bridge/index.js');
  const { Box } = await import('../../src/core/spaces/box.js');
  const server = await BridgeServer.listen({ port: 0 });
  try {
    for (const [rate, expectedMs] of [[50, 60], [500, 20]] as const) {
      const client = await RobotClient.connect({ url: server.url, robotId: `w${rate}`, observationSpace: new Box(-1, 1, [1]), actionSpace: new Box(-1, 1, [1]), controlRateHz: rate, safeAction: [0], handler: { reset: () => ({ obs: [0] }), act: () => ({ obs: [0] }), applySafeAction: () => {} } });
      try {
        assert.equal((client as unknown as { watchdogMs: number }).watchdogMs, expectedMs);
      } finally {
        await client.close();
      }
    }
  } finally {
    await server.close();
  }
});
