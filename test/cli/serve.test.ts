import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import '../../envs/index.js';
import { make } from '../../src/registry/registry.js';
import { startServe } from '../../src/cli/commands/serve.js';
import { rosEnvRobot } from '../bridge/ros-robot.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cartpoleCheckpoint = 'test/fixtures/checkpoint-v1/cartpole';

/** Resolves with the first stdout line matching `re` (rejects after `timeoutMs` with what was printed). */
function lineMatching(lines: string[], re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const poll = (): void => {
      for (const l of lines) {
        const m = re.exec(l);
        if (m) return resolve(m);
      }
      if (performance.now() - t0 > timeoutMs) return reject(new Error(`no line matching ${re} within ${timeoutMs} ms; got:\n${lines.join('\n')}`));
      setTimeout(poll, 20);
    };
    poll();
  });
}

test('defects 1+2: `lamkit serve --rosbridge <mapping>` (the command, in its own process) drives a roslib CartPole robot with Discrete actions on std_msgs/Int32', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--checkpoint', cartpoleCheckpoint, '--rosbridge', 'src/bridge/examples/rosbridge-cartpole.json', '--port', '0'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += String(d);
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let robot: Awaited<ReturnType<typeof rosEnvRobot>> | undefined;
  try {
    const started = await Promise.race([
      lineMatching(lines, /^lamkit serve: CartPole-v1 policy on ws:\/\/127\.0\.0\.1:(\d+)\/ \(rosbridge on \/rosbridge\)$/, 60000),
      exited.then((code) => Promise.reject(new Error(`lamkit serve exited with ${code} before listening:\n${stderr}`))),
    ]);
    const env = make('CartPole-v1');
    robot = await rosEnvRobot(`ws://127.0.0.1:${started[1]}/rosbridge`, env, {
      obsTopic: '/cartpole/state',
      actionTopic: '/cartpole/push',
      actionType: 'std_msgs/Int32',
      decodeAction: (msg) => msg.data,
    });
    await lineMatching(lines, /^robot connected: cartpole \(Box\(.*\) -> Discrete\(2\), 50 Hz\)$/, 10000);
    const ep = await lineMatching(lines, /^episode robot=cartpole return=(\d+)\.000 length=(\d+)/, 30000);
    assert.equal(Number(ep[1]), Number(ep[2]), 'CartPole pays 1 per step');
    assert.ok(robot.actions.length >= Number(ep[2]));
    assert.ok(robot.actions.every((a) => a === 0 || a === 1), `actions are Discrete(2) indices: ${robot.actions.slice(0, 10).join(', ')}`);
    assert.ok(!lines.some((l) => /Error/.test(l)), lines.join('\n'));
  } finally {
    robot?.ros.close();
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('defect 1: lamkit serve starts with the joint-state example mapping; a robot whose spaces differ from the policy is told why', async () => {
  const lines: string[] = [];
  const serve = await startServe({ checkpoint: cartpoleCheckpoint, port: '0', rosbridge: 'src/bridge/examples/rosbridge-joint-state.json' }, (l) => lines.push(l));
  const { Ros, Topic, Service } = await import('../bridge/ros-robot.js');
  const ros = new Ros({});
  try {
    assert.match(lines[0], /^lamkit serve: CartPole-v1 policy on ws:\/\/127\.0\.0\.1:\d+\/ \(rosbridge on \/rosbridge\)$/);
    await ros.connect(`ws://127.0.0.1:${serve.port}/rosbridge`);
    new Topic({ ros, name: '/joint_states', messageType: 'sensor_msgs/JointState' }).advertise();
    new Topic({ ros, name: '/joint_command', messageType: 'std_msgs/Float64MultiArray' }).subscribe(() => {});
    await new Service({ ros, name: '/lamkit/reset', serviceType: 'std_srvs/Trigger' }).advertise(() => true);
    await lineMatching(lines, /^robot=arm BridgeProtocolError: servePolicy\(arm\): expected a robot with Box\(.*\) -> Discrete\(2\), got Box\(.*\) -> Box\(-1\.0, 1\.0, \(2,\), float32\)\. Serve a checkpoint trained on this robot\.$/, 10000);
    assert.ok(lines.some((l) => l.startsWith('robot connected: arm (')), lines.join('\n'));
  } finally {
    ros.close();
    await serve.close();
  }
});
