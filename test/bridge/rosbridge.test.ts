import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BridgeServer } from '../../src/bridge/bridge-server.js';
import { resolveRosbridgeConfig, type RosbridgeConfig } from '../../src/bridge/rosbridge-config.js';
import { Box } from '../../src/core/spaces/box.js';
import { LineEnv, sleep } from './fixtures.js';
import { Ros, Topic, Service, type RosLike } from './ros-robot.js';
import { closeAtEnd } from '../helpers/close-at-end.js';
import { until } from '../helpers/until.js';

type Ros = RosLike;

const config: RosbridgeConfig = {
  robotId: 'ros-line',
  controlRateHz: 50,
  observationSpace: new Box(-10, 10, [2]).toJSON(),
  actionSpace: new Box(-1, 1, [1]).toJSON(),
  safeAction: [0],
  observation: { topic: '/joint_states', type: 'sensor_msgs/JointState', fields: ['position', 'velocity'] },
  action: { topic: '/joint_command', type: 'std_msgs/Float64MultiArray' },
  stepInfo: { topic: '/lamkit/step_info' },
  resetService: '/lamkit/reset',
};

/** A ROS robot written with roslib only: it knows nothing about lamkit's own protocol. */
async function rosRobot(url: string, env: LineEnv): Promise<{ ros: Ros; statuses: string[]; actions: number[] }> {
  const ros = new Ros({});
  const statuses: string[] = [];
  const actions: number[] = [];
  ros.on('status', (m: { msg?: string }) => statuses.push(String(m.msg)));
  await ros.connect(url);
  await new Promise<void>((resolve) => (ros.isConnected ? resolve() : ros.once('connection', () => resolve())));
  const joints = new Topic({ ros, name: '/joint_states', messageType: 'sensor_msgs/JointState' });
  const info = new Topic({ ros, name: '/lamkit/step_info', messageType: 'std_msgs/Float64MultiArray' });
  const command = new Topic<{ data: number[] }>({ ros, name: '/joint_command', messageType: 'std_msgs/Float64MultiArray' });
  const publishObs = (obs: ArrayLike<number>): void => joints.publish({ header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' }, name: ['slider'], position: [obs[0]], velocity: [obs[1]], effort: [] });
  joints.advertise();
  info.advertise();
  command.subscribe((msg) => {
    actions.push(msg.data[0]);
    const r = env.step(Float32Array.of(msg.data[0]));
    info.publish({ layout: { dim: [], data_offset: 0 }, data: [r.reward, r.terminated ? 1 : 0, r.truncated ? 1 : 0] });
    publishObs(r.obs);
  });
  const reset = new Service({ ros, name: '/lamkit/reset', serviceType: 'std_srvs/Trigger' });
  await reset.advertise((req: { seed?: number }, res: Record<string, unknown>) => {
    const r = env.reset(req.seed === undefined ? {} : { seed: req.seed });
    res.success = true;
    res.message = 'reset';
    publishObs(r.obs);
    return true;
  });
  return { ros, statuses, actions };
}

test('a roslib client is driven through the rosbridge v2 adapter (JointState obs, Float64MultiArray actions, reset service)', async () => {
  const server = closeAtEnd(await BridgeServer.listen({ port: 0, token: 'ros-token', rosbridge: config }));
  const robotEnv = new LineEnv();
  const robot = await rosRobot(`ws://127.0.0.1:${server.port}/rosbridge?token=ros-token`, robotEnv);
  const [remote] = await server.waitForRobots(1, 5000);
  assert.equal(remote.robotId, 'ros-line');
  const local = new LineEnv();
  const a = await remote.reset({ seed: 4 });
  assert.deepEqual(Array.from(a.obs as Float32Array), Array.from(local.reset({ seed: 4 }).obs));
  let rewardSum = 0;
  for (let t = 0; t < 30; t++) {
    const act = Float32Array.of(t < 15 ? 2 : -0.5); // 2 is clipped to 1 before it reaches ROS
    const s = await remote.step(act);
    const l = local.step(Float32Array.of(Math.min(1, act[0])));
    assert.deepEqual(Array.from(s.obs as Float32Array), Array.from(l.obs));
    assert.equal(s.reward, l.reward);
    assert.equal(s.terminated, l.terminated);
    rewardSum += s.reward;
    if (s.terminated) break;
  }
  assert.ok(rewardSum < 0);
  assert.equal(Math.max(...robot.actions), 1);
  // A message on a topic outside the mapping gets a status error naming it; the robot keeps working.
  // (rosbridge v2 tags a status with the id of the op that caused it; roslib emits it as 'status:<id>'.)
  const rogue = new Topic({ ros: robot.ros, name: '/rogue', messageType: 'std_msgs/String' });
  rogue.advertise();
  robot.ros.on(`status:${(rogue as unknown as { advertiseId: string }).advertiseId}`, (m: { msg?: string; level?: string }) => robot.statuses.push(`${m.level}: ${m.msg}`));
  rogue.publish({ data: 'x' });
  for (let t0 = performance.now(); robot.statuses.length === 0 && performance.now() - t0 < 2000; ) await sleep(10);
  assert.ok(robot.statuses.some((m) => m.startsWith('error: ' + 'Rosbridge.advertise.topic: expected /joint_states (sensor_msgs/JointState) or /lamkit/step_info (std_msgs/Float64MultiArray), got /rogue (std_msgs/String).')), robot.statuses.join('\n'));
  await remote.reset({ seed: 1 });
  await remote.step(Float32Array.of(0));
  robot.ros.close();
  await server.close();
});

test('rosbridge: wrong token refused; config validated', async () => {
  const server = closeAtEnd(await BridgeServer.listen({ port: 0, token: 'ros-token', rosbridge: config }));
  const ros = new Ros({});
  const closed = new Promise<void>((resolve) => ros.on('close', () => resolve()));
  ros.on('error', () => {});
  await ros.connect(`ws://127.0.0.1:${server.port}/rosbridge?token=nope`);
  await closed;
  assert.equal(server.robots().length, 0);
  await server.close();
  assert.throws(() => resolveRosbridgeConfig({ ...config, safeAction: [0, 0] }), { message: 'rosbridge config.safeAction: expected 1 numbers for Box(-1.0, 1.0, (1,), float32), got [0, 0]. Announce a safe action inside the action space.' });
  assert.throws(() => resolveRosbridgeConfig({ ...config, action: { topic: '/cmd', type: 'geometry_msgs/Twist' } }), /^InvalidArgument|rosbridge config\.action\.type: expected one of "std_msgs\/Float64MultiArray"/);
});

test('the example rosbridge config file loads; a broken file is a FileFormatError', async () => {
  const { loadRosbridgeConfig } = await import('../../src/bridge/rosbridge-config.js');
  const c = await loadRosbridgeConfig(new URL('../../src/bridge/examples/rosbridge-joint-state.json', import.meta.url).pathname);
  assert.equal(c.path, '/rosbridge');
  assert.equal(c.obsSpace.toString(), 'Box([-3.2 -3.2 -10.0 -10.0], [3.2 3.2 10.0 10.0], (4,), float32)');
  assert.deepEqual(c.fields, ['position', 'velocity']);
  await assert.rejects(loadRosbridgeConfig('/nonexistent/robot.json'), { name: 'FileFormatError' });
});

test('rosbridge fuzz: 2,000 malformed ops each get a status error; a roslib robot on the same server keeps working', async () => {
  const { WebSocket } = await import('ws');
  const { Rng } = await import('../../src/core/rng.js');
  const server = closeAtEnd(await BridgeServer.listen({ port: 0, rosbridge: config, handshakeTimeoutMs: 60000 })); // default rate limits and budgets
  const robotEnv = new LineEnv();
  const robot = await rosRobot(`ws://127.0.0.1:${server.port}/rosbridge`, robotEnv);
  const [remote] = await server.waitForRobots(1, 5000);
  await remote.reset({ seed: 0 });
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/rosbridge?robot=fuzz`);
  const statuses: Array<{ level: string; msg: string }> = [];
  ws.on('message', (d) => statuses.push(JSON.parse(String(d))));
  await new Promise((r) => ws.once('open', r));
  const rng = new Rng(9);
  const cases: Array<() => string | Buffer> = [
    () => '{"op":"publish"',
    () => JSON.stringify({ op: 'teleport' }),
    () => JSON.stringify({ op: 'publish', topic: '/joint_states', msg: { position: [1] } }), // not advertised
    () => JSON.stringify({ op: 'advertise', topic: '/cmd_vel', type: 'geometry_msgs/Twist' }),
    () => JSON.stringify({ op: 'subscribe', topic: '/camera' }),
    () => JSON.stringify({ op: 'advertise_service', service: '/other', type: 'std_srvs/Empty' }),
    () => JSON.stringify({ op: 'subscribe' }),
    () => JSON.stringify({ op: 'service_response', service: '/lamkit/reset', result: false }),
    () => Buffer.from([rng.integer(0, 256), rng.integer(0, 256), 3]),
    () => JSON.stringify([rng.normal()]),
  ];
  const N = 2000;
  const driving = (async () => {
    for (let k = 0; k < 40; k++) {
      const s = await remote.step(Float32Array.of(rng.uniform(-1, 1)));
      if (s.terminated) await remote.reset();
    }
  })();
  // Batches under the default burst of the message-rate limit (500): over it, rosbridge messages are dropped silently.
  for (let sent = 0; sent < N; sent += 250) {
    for (let i = 0; i < 250; i++) ws.send(cases[rng.integer(0, cases.length)]());
    const t0 = performance.now();
    while (statuses.length < sent + 250 && performance.now() - t0 < 10000) await sleep(5);
    // Let the bucket refill a whole burst (500 tokens at 5,000/s = 100 ms) before the next batch: on a loaded
    // machine the replies to one batch can arrive before the tokens it spent are back.
    await sleep(120);
  }
  await driving;
  assert.equal(statuses.length, N);
  for (const s of statuses) {
    assert.equal(s.level, 'error');
    assert.match(s.msg, /^[\w.()[\]/-]+: expected .+, got .+\./s);
  }
  assert.equal(ws.readyState, WebSocket.OPEN);
  ws.close();
  robot.ros.close();
  await server.close();
});

test('rosbridge: Float64MultiArray observations and trajectory_msgs/JointTrajectory actions (raw rosbridge JSON)', async () => {
  const { WebSocket } = await import('ws');
  const server = await BridgeServer.listen({
    port: 0,
    rosbridge: { ...config, observation: { topic: '/state', type: 'std_msgs/Float64MultiArray' }, action: { topic: '/arm_controller/command', type: 'trajectory_msgs/JointTrajectory', jointNames: ['j1'] }, stepInfo: undefined },
  });
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/rosbridge?robot=traj-1`);
  const got: Array<Record<string, any>> = [];
  const send = (m: object): void => ws.send(JSON.stringify(m));
  ws.on('message', (d) => {
    const m = JSON.parse(String(d));
    got.push(m);
    if (m.op === 'call_service') {
      send({ op: 'service_response', id: m.id, service: m.service, values: { success: true }, result: true });
      send({ op: 'publish', topic: '/state', msg: { data: [0.5, m.args.seed] } });
    }
    if (m.op === 'publish') send({ op: 'publish', topic: '/state', msg: { data: [m.msg.points[0].positions[0], 0] } });
  });
  await new Promise((r) => ws.once('open', r));
  send({ op: 'advertise', topic: '/state', type: 'std_msgs/Float64MultiArray' });
  send({ op: 'subscribe', topic: '/arm_controller/command', type: 'trajectory_msgs/JointTrajectory' });
  send({ op: 'advertise_service', service: '/lamkit/reset', type: 'std_srvs/Trigger' });
  const [remote] = await server.waitForRobots(1);
  assert.equal(remote.robotId, 'traj-1');
  const r0 = await remote.reset({ seed: 7 });
  assert.deepEqual(Array.from(r0.obs as Float32Array), [0.5, 7]);
  const s = await remote.step(Float32Array.of(-0.75));
  assert.deepEqual(Array.from(s.obs as Float32Array), [-0.75, 0]);
  assert.equal(s.reward, 0); // no step-info topic configured
  const traj = got.find((m) => m.op === 'publish')!;
  assert.deepEqual(traj, {
    op: 'publish',
    topic: '/arm_controller/command',
    msg: { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' }, joint_names: ['j1'], points: [{ positions: [-0.75], velocities: [], accelerations: [], effort: [], time_from_start: { sec: 0, nanosec: 20000000 } }] },
  });
  remote.emergencyStop('bye');
  await until(() => got.at(-1)?.op === 'status', 'the estop status at the robot');
  assert.deepEqual(got.slice(-2).map((m) => m.op), ['publish', 'status']);
  assert.equal(got.at(-1)!.msg, 'lamkit estop: bye');
  ws.close();
  await server.close();
});

test('defect 2: rosbridge carries discrete actions (Discrete on std_msgs/Int32 or a Float64MultiArray index, MultiDiscrete on std_msgs/Int32MultiArray)', async () => {
  const { WebSocket } = await import('ws');
  const { Discrete } = await import('../../src/core/spaces/discrete.js');
  const { MultiDiscrete } = await import('../../src/core/spaces/multi-discrete.js');
  // The safe action is the flat wire action ([a] for Discrete) both when the file loads and when the robot attaches.
  const discrete = { ...config, actionSpace: new Discrete(2).toJSON(), safeAction: [1], action: { topic: '/push', type: 'std_msgs/Int32' as const } };
  assert.equal(resolveRosbridgeConfig(discrete).actSpace.toString(), 'Discrete(2)');
  assert.throws(() => resolveRosbridgeConfig({ ...discrete, safeAction: [0, 1] }), { message: 'rosbridge config.safeAction: expected 1 numbers for Discrete(2), got [0, 1]. Announce a safe action inside the action space.' });
  assert.throws(() => resolveRosbridgeConfig({ ...discrete, safeAction: [2] }), { message: /^rosbridge config\.safeAction: expected an action inside Discrete\(2\) \(1 numbers\), got \[2\]/ });
  assert.throws(() => resolveRosbridgeConfig({ ...config, action: { topic: '/push', type: 'std_msgs/Int32' } }), {
    message: 'rosbridge config.action.type: expected std_msgs/Float64MultiArray or trajectory_msgs/JointTrajectory for Box(-1.0, 1.0, (1,), float32), got "std_msgs/Int32". See the rosbridge section of docs/bridge-protocol.md.',
  });
  for (const [actionSpace, type, safeAction, act, wire] of [
    [new Discrete(2), 'std_msgs/Int32', [1], 0, { data: 0 }],
    [new Discrete(3), 'std_msgs/Float64MultiArray', [0], 2, { layout: { dim: [{ label: 'action', size: 1, stride: 1 }], data_offset: 0 }, data: [2] }],
    [new MultiDiscrete([3, 4]), 'std_msgs/Int32MultiArray', [0, 0], Int32Array.of(2, 3), { layout: { dim: [{ label: 'action', size: 2, stride: 2 }], data_offset: 0 }, data: [2, 3] }],
  ] as const) {
    const server = closeAtEnd(await BridgeServer.listen({ port: 0, rosbridge: { ...config, stepInfo: undefined, observation: { topic: '/state', type: 'std_msgs/Float64MultiArray' }, actionSpace: actionSpace.toJSON(), safeAction: [...safeAction], action: { topic: '/push', type } } }));
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/rosbridge`);
    const published: Array<Record<string, unknown>> = [];
    const send = (m: object): void => ws.send(JSON.stringify(m));
    ws.on('message', (d) => {
      const m = JSON.parse(String(d));
      if (m.op === 'call_service') send({ op: 'publish', topic: '/state', msg: { data: [0, 0] } });
      if (m.op === 'publish') {
        published.push(m.msg);
        send({ op: 'publish', topic: '/state', msg: { data: [1, 1] } });
      }
    });
    await new Promise((r) => ws.once('open', r));
    send({ op: 'advertise', topic: '/state', type: 'std_msgs/Float64MultiArray' });
    send({ op: 'subscribe', topic: '/push', type });
    send({ op: 'advertise_service', service: '/lamkit/reset', type: 'std_srvs/Trigger' });
    try {
      const [remote] = await server.waitForRobots(1, 5000);
      assert.equal(remote.actionSpace.toString(), actionSpace.toString());
      await remote.reset();
      const s = await remote.step(act);
      assert.deepEqual(Array.from(s.obs as Float32Array), [1, 1]);
      assert.deepEqual(published, [wire], type);
    } finally {
      ws.close();
      await server.close();
    }
  }
});
