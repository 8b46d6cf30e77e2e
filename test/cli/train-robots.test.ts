import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTrain, type TrainFlags } from '../../src/cli/commands/train.js';
import { robotTaskName } from '../../src/cli/commands/train-robots.js';
import { runEval } from '../../src/cli/commands/eval.js';
import { startServe } from '../../src/cli/commands/serve.js';
import { startSimRobot, type SimRobotHandle } from '../../src/cli/commands/sim-robot.js';
import { main } from '../../src/cli/main.js';

const root = mkdtempSync(join(tmpdir(), 'lamkit-cli-train-robots-'));
after(() => rmSync(root, { recursive: true, force: true }));
const small = JSON.stringify({ numSteps: 64, numMinibatches: 2, updateEpochs: 2 });
const flags = (f: Partial<TrainFlags>): TrainFlags => ({ algo: 'ppo', vectorization: 'sync', progress: false, port: '0', ...f });
// The watchdog must outlast a PPO update: a sim-robot only counts safe actions, but keep the log quiet.
const robot = (env: string, url: string, robotId: string): Promise<SimRobotHandle> => startSimRobot({ env, connect: url, robotId, watchdogMs: '60000' });

test('lamkit train --robots 2 --env CartPole-v1 trains on two sim-robots; eval runs the checkpoint in simulation', async () => {
  const out = join(root, 'labelled');
  const robots: Array<Promise<SimRobotHandle>> = [];
  const lines: string[] = [];
  const outcome = await runTrain(flags({ robots: '2', env: 'CartPole-v1', seed: '3', totalSteps: '256', out, config: small }), {
    log: (l) => lines.push(l),
    onListening: (url) => {
      for (const id of ['cp-0', 'cp-1']) robots.push(robot('CartPole-v1', url, id));
    },
  });
  try {
    assert.equal(outcome.globalStep, 256);
    assert.deepEqual([...(outcome.robotIds ?? [])].sort(), ['cp-0', 'cp-1']);
    assert.match(lines[0], /^lamkit train: waiting up to 120 s for 2 robot\(s\) on ws:\/\/127\.0\.0\.1:\d+\/; start each with/);
    assert.ok(lines.some((l) => /^lamkit train: robot 2\/2 connected: cp-[01] \(Box\(.*\) -> Discrete\(2\), 50 Hz\)$/.test(l)), lines.join('\n'));
    for (const f of ['checkpoint/checkpoint.json', 'checkpoint/policy.bin', 'metrics.jsonl', 'summary.json', 'learning-curve.svg']) assert.ok(existsSync(join(out, f)), f);
    const model = JSON.parse(readFileSync(join(out, 'checkpoint/checkpoint.json'), 'utf8'));
    assert.equal(model.envId, 'CartPole-v1');
    assert.deepEqual(model.actionSpace, { type: 'Discrete', n: 2, start: 0 });
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(rows.filter((r) => 'losses/approx_kl' in r).length, 256 / (2 * 64));
    assert.ok(rows.some((r) => 'charts/episodic_return' in r));
    assert.equal(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).envId, 'CartPole-v1');
    const ev = await runEval({ checkpoint: out, episodes: '2', seed: '0' });
    assert.equal(ev.envId, 'CartPole-v1');
    assert.equal(ev.returns.length, 2);
    // Resume on robots (new ones, on a new server): the run continues to the new total.
    const resumed = await runTrain(flags({ robots: '2', resume: out, totalSteps: '512' }), {
      onListening: (url) => {
        for (const id of ['cp-2', 'cp-3']) robots.push(robot('CartPole-v1', url, id));
      },
    });
    assert.equal(resumed.globalStep, 512);
    await assert.rejects(runTrain(flags({ robots: '3', resume: out })), {
      message: 'lamkit train --robots: expected 2 (the sub-envs of the run being resumed), got "3". Resume with --robots 2.',
    });
  } finally {
    for (const r of robots) await (await r).close();
  }
});

test('the lamkit command trains on robots named by their id prefix; lamkit serve drives a robot with the checkpoint', async () => {
  const out = join(root, 'prefix');
  const robots: Array<Promise<SimRobotHandle>> = [];
  const stdout: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  // Capture the command's own lines; everything else (the test reporter) passes through.
  process.stdout.write = ((chunk: string, ...rest: never[]) => {
    const text = String(chunk);
    if (!text.startsWith('lamkit train')) return write(chunk, ...rest);
    stdout.push(text);
    const url = /waiting up to \d+ s for 2 robot\(s\) on (ws:\/\/\S+\/)/.exec(text)?.[1];
    if (url) for (const id of ['pole-0', 'pole-1']) robots.push(robot('CartPole-v1', url, id));
    return true;
  }) as typeof process.stdout.write;
  let code: number;
  try {
    code = await main(['train', '--robots', '2', '--port', '0', '--wait-ms', '10000', '--step-timeout-ms', '5000', '--total-steps', '128', '--config', small, '--out', out, '--no-progress']);
  } finally {
    process.stdout.write = write;
    for (const r of robots) await (await r).close();
  }
  assert.equal(code, 0, stdout.join(''));
  assert.equal(robots.length, 2);
  assert.match(stdout.join(''), /lamkit train: 128 steps in [\d.]+ s; .* outputs in /);
  const model = JSON.parse(readFileSync(join(out, 'checkpoint/checkpoint.json'), 'utf8'));
  assert.equal(model.envId, 'pole');
  assert.equal(model.observationSpace.type, 'Box');

  const served: string[] = [];
  const serve = await startServe({ checkpoint: out, port: '0' }, (l) => served.push(l));
  const sim = await startSimRobot({ env: 'CartPole-v1', connect: `ws://127.0.0.1:${serve.port}/`, robotId: 'pole-9', watchdogMs: '5000' });
  try {
    const t0 = performance.now();
    while (serve.episodes < 2 && performance.now() - t0 < 15000) await new Promise((r) => setTimeout(r, 20));
    assert.ok(serve.episodes >= 2, served.join('\n'));
    assert.match(served[0], /^lamkit serve: pole policy on ws:\/\/127\.0\.0\.1:\d+\/$/);
    assert.ok(served.some((l) => /^episode robot=pole-9 return=\d+\.000 length=\d+/.test(l)), served.join('\n'));
  } finally {
    await serve.close();
    await sim.close();
  }
  await assert.rejects(runTrain(flags({ port: undefined, resume: out })), {
    name: 'InvalidArgument',
    message: 'lamkit train --resume: expected a run of a registered task, got a run of "pole". A run trained on robots resumes with --robots 2.',
  });
  assert.equal(robotTaskName(['arm-10', 'arm-11']), 'arm');
  assert.equal(robotTaskName(['left', 'right']), 'robots');
  assert.equal(robotTaskName(['arm-7']), 'arm-7');
});

test('robots with different spaces, a label that does not match, no robots: typed errors naming flags, robots and spaces', async () => {
  const out = join(root, 'bad');
  const robots: Array<Promise<SimRobotHandle>> = [];
  const cart = 'Box([-4.8 -inf -0.41887903 -inf], [4.8 inf 0.41887903 inf], (4,), float32) -> Discrete(2)';
  const pend = 'Box([-1.0 -1.0 -8.0], [1.0 1.0 8.0], (3,), float32) -> Box(-2.0, 2.0, (1,), float32)';
  try {
    await assert.rejects(
      runTrain(flags({ robots: '2', out }), {
        onListening: (url) => {
          // One after the other, so the first to connect is known.
          const first = robot('CartPole-v1', url, 'cart-a');
          robots.push(first, first.then(() => robot('Pendulum-v1', url, 'pend-b')));
        },
      }),
      { name: 'InvalidSpace', message: `lamkit train --robots: expected every robot to announce the spaces of robot 'cart-a' (${cart}), got robot 'pend-b' with ${pend}. Connect robots of one kind only, or train each kind in its own run.` },
    );
    await assert.rejects(
      runTrain(flags({ robots: '1', env: 'Pendulum-v1', out }), { onListening: (url) => void robots.push(robot('CartPole-v1', url, 'cart-c')) }),
      { name: 'InvalidSpace', message: `lamkit train --env Pendulum-v1: expected robots with its spaces (${pend}), got robot 'cart-c' with ${cart}. Label the run with the task the robots run, or leave the label out.` },
    );
  } finally {
    for (const r of robots) await (await r).close();
  }
  await assert.rejects(runTrain(flags({ robots: '2', waitMs: '150', out })), {
    name: 'BridgeTimeoutError',
    message: /^lamkit train --robots: expected 2 robot\(s\) connected to ws:\/\/127\.0\.0\.1:\d+\/ within 150 ms, got 0\. Start the robots with --connect ws:\/\/127\.0\.0\.1:\d+\/, or raise --wait-ms\.$/,
  });
  await assert.rejects(runTrain(flags({ env: 'CartPole-v1', out })), {
    name: 'InvalidArgument',
    message: 'lamkit train --port: expected no such flag without --robots, got "0". Add --robots <n> to train on robots that connect over WebSocket, or drop the flag.',
  });
  await assert.rejects(runTrain(flags({ robots: '2', numEnvs: '4', out })), {
    message: 'lamkit train --num-envs: expected no --num-envs with --robots (each robot is one sub-env), got "4". Drop --num-envs; --robots 2 trains on 2 sub-envs.',
  });
  await assert.rejects(runTrain(flags({ robots: '0', out })), { message: 'lamkit train --robots: expected an integer >= 1, got "0". Pass e.g. --robots 2.' });
  await assert.rejects(runTrain(flags({ robots: '2', out, config: '{"groupSize": 2}' })), {
    message: 'lamkit train --config groupSize: expected 1 (off) with --robots (a group must start from one state, which a robot cannot be reset to from a seed), got 2. Drop groupSize, or train the group mode in simulation.',
  });
  assert.ok(!existsSync(join(out, 'checkpoint')));
});

test('a robot that disconnects mid-run fails the run with the bridge error; the checkpoint holds the last update and resumes', async () => {
  const { make } = await import('../../src/registry/registry.js');
  const { RobotClient, envRobotHandler } = await import('../../src/bridge/index.js');
  const out = join(root, 'dropped');
  const robots: Array<Promise<SimRobotHandle>> = [];
  let quitter: ReturnType<typeof RobotClient.connect> | null = null;
  const lines: string[] = [];
  await assert.rejects(
    runTrain(flags({ robots: '2', env: 'CartPole-v1', totalSteps: '4096', out, config: small }), {
      log: (l) => lines.push(l),
      onListening: (url) => {
        robots.push(robot('CartPole-v1', url, 'ok-0'));
        const env = make('CartPole-v1');
        const handler = envRobotHandler(env);
        const act = handler.act.bind(handler);
        let steps = 0;
        // Answers 150 actions (two updates of 64 vector steps, some of them autoresets, and part of a third), then its link drops.
        handler.act = (a) => {
          if (++steps === 150) setImmediate(() => void quitter?.then((c) => c.close()));
          return act(a);
        };
        quitter = RobotClient.connect({ url, robotId: 'quit-1', observationSpace: env.observationSpace, actionSpace: env.actionSpace, controlRateHz: 50, safeAction: [0], handler, watchdogMs: 60000 });
      },
    }),
    { name: 'BridgeDisconnectedError' },
  );
  for (const r of robots) await (await r).close();
  const state = JSON.parse(readFileSync(join(out, 'checkpoint/checkpoint.json'), 'utf8')).algo.state;
  assert.ok(state.update >= 2 && state.update <= 3, `update ${state.update}`);
  assert.equal(state.globalStep, state.update * 128);
  assert.ok(lines.some((l) => l.startsWith(`lamkit train: a robot failed (BridgeDisconnectedError); saved the state after the last update (step ${state.globalStep}) to ${join(out, 'checkpoint')}; continue with lamkit train --resume ${out} --robots 2`)), lines.join('\n'));
  assert.ok(!existsSync(join(out, 'summary.json')));
  // The saved state resumes on (new) robots.
  const again: Array<Promise<SimRobotHandle>> = [];
  const resumed = await runTrain(flags({ robots: '2', resume: out, totalSteps: String(state.globalStep + 128) }), {
    onListening: (url) => {
      for (const id of ['ok-2', 'ok-3']) again.push(robot('CartPole-v1', url, id));
    },
  });
  for (const r of again) await (await r).close();
  assert.equal(resumed.globalStep, state.globalStep + 128);
});
