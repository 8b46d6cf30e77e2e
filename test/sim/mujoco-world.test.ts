import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MujocoWorld } from '../../sim/mujoco-world.js';
import { mat2Quat } from '../../sim/mat2quat.js';
import { loadMujoco, loadedMujoco } from '../../sim/load-mujoco.js';
import { SimLoadError } from '../../sim/sim-load-error.js';
import { REACHER_XML } from '../../sim/assets/reacher.js';
import { INVERTED_PENDULUM_XML } from '../../sim/assets/inverted-pendulum.js';
import { armXml } from '../../sim/assets/arm.js';
import { ClosedError, InvalidArgument } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-9): boolean =>
  a.length === b.length && Array.from(a).every((x, i) => Math.abs(x - b[i]) <= tol);

test('nothing is loaded at import time; create() loads MuJoCo once', async () => {
  assert.equal(loadedMujoco(), undefined);
  const [a, b] = await Promise.all([loadMujoco(), loadMujoco()]);
  assert.equal(a, b);
  assert.equal(loadedMujoco(), a);
});

test('loads MJCF from a string: counts, names, timestep, initial state', async () => {
  const w = await MujocoWorld.create({ xml: REACHER_XML });
  assert.equal(w.name, 'reacher');
  assert.deepEqual([w.nq, w.nv, w.nu, w.nbody], [4, 4, 2, 5]);
  assert.equal(w.timestepSeconds, 0.01);
  assert.deepEqual(w.names('body'), ['world', 'body0', 'body1', 'fingertip', 'target']);
  assert.deepEqual(Array.from(w.qpos()), [0, 0, 0.1, -0.1]);
  assert.equal(w.jointQposAdr('target_y'), 3);
  assert.equal(w.jointDofAdr('joint1'), 1);
  w.close();
});

test('step(frameSkip) advances frameSkip physics steps; ctrl drives the joints', async () => {
  const w = await MujocoWorld.create({ xml: REACHER_XML });
  w.setCtrl([0.5, -0.5]);
  w.step(3);
  assert.ok(Math.abs(w.time - 0.03) < 1e-12);
  assert.ok(w.qvel()[0] > 0 && w.qvel()[1] < 0);
  assert.throws(() => w.step(0), (e: unknown) => e instanceof InvalidArgument && /frameSkip: expected an integer >= 1, got 0/.test((e as Error).message));
  assert.throws(() => w.setCtrl([1]), InvalidArgument);
  w.close();
});

test('poses by name: bodies, sites, geoms (positions, rotation matrices, w,x,y,z quaternions)', async () => {
  const w = await MujocoWorld.create({ xml: REACHER_XML });
  let tip = w.bodyPose('fingertip');
  assert.ok(close(tip.posWorld, [0.21, 0, 0.01]));
  assert.ok(close(tip.quatWxyz, [1, 0, 0, 0]));
  w.setState([Math.PI / 2, 0, 0.1, -0.1], [0, 0, 0, 0]);
  tip = w.bodyPose('fingertip');
  assert.ok(close(tip.posWorld, [0, 0.21, 0.01]));
  assert.ok(close(tip.quatWxyz, [Math.SQRT1_2, 0, 0, Math.SQRT1_2]));
  assert.ok(close(tip.xmat, [0, -1, 0, 1, 0, 0, 0, 0, 1]));
  assert.ok(close(mat2Quat(tip.xmat), tip.quatWxyz));
  const geom = w.geomPose('link1');
  assert.ok(close(geom.posWorld, [0, 0.15, 0.01]));
  assert.ok(close(geom.posWorld, w.geomXpos().slice(3 * w.id('geom', 'link1'), 3 * w.id('geom', 'link1') + 3)));
  w.close();
  const arm = await MujocoWorld.create({ xml: armXml() });
  const ee = arm.sitePose('ee');
  assert.ok(close(ee.posWorld, [0, 0, 0.05 + 0.15 + 0.3 + 0.2 + 0.08 + 0.08 + 0.02]));
  assert.ok(close(ee.quatWxyz, [1, 0, 0, 0]));
  arm.close();
});

test('unknown names throw InvalidArgument listing the model names', async () => {
  const w = await MujocoWorld.create({ xml: INVERTED_PENDULUM_XML });
  assert.throws(
    () => w.bodyPose('tip'),
    (e: unknown) =>
      e instanceof InvalidArgument &&
      (e as Error).message === `MujocoWorld(inverted_pendulum).body: expected one of 'world', 'cart', 'pole', got "tip". Use a body name from the model.`,
  );
  assert.throws(() => w.sitePose(3), /MujocoWorld\(inverted_pendulum\).site: expected a name or an id in \[0, 0\), got 3/);
  w.close();
});

test('translational site Jacobian matches finite differences', async () => {
  const w = await MujocoWorld.create({ xml: armXml() });
  const q0 = [0.3, 0.4, 1.2, -0.2, 0.9, 0.1];
  const set = (q: number[]): void => w.setState(q, new Float64Array(w.nv));
  set(q0);
  const jac = w.jacSite('ee');
  const eps = 1e-6;
  for (let j = 0; j < 6; j++) {
    const qp = q0.slice();
    qp[j] += eps;
    set(qp);
    const plus = w.sitePose('ee').posWorld;
    qp[j] -= 2 * eps;
    set(qp);
    const minus = w.sitePose('ee').posWorld;
    for (let r = 0; r < 3; r++) assert.ok(Math.abs((plus[r] - minus[r]) / (2 * eps) - jac[r * w.nv + j]) < 1e-6, `J[${r}][${j}]`);
  }
  w.close();
});

test('snapshot/restore reproduces a trajectory bit for bit; reset returns to the initial state', async () => {
  const w = await MujocoWorld.create({ xml: armXml({ puck: true }) });
  const rng = new Rng(1);
  const drive = (n: number): number[] => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      w.setCtrl(Array.from({ length: 6 }, () => rng.uniform(-1, 1)));
      w.step(4);
      out.push(...w.qpos(), ...w.qvel());
    }
    return out;
  };
  drive(10);
  const snap = w.snapshot();
  const rngState = rng.getState();
  const first = drive(20);
  w.restore(snap);
  rng.setState(rngState);
  assert.deepEqual(drive(20), first);
  assert.throws(() => w.restore({ modelName: 'x', state: new Float64Array(3) }), (e: unknown) => e instanceof InvalidArgument && /restore: expected a snapshot of this model/.test((e as Error).message));
  w.reset();
  assert.equal(w.time, 0);
  assert.ok(w.qpos().slice(0, 6).every((x) => x === 0));
  w.close();
});

test('a model MuJoCo rejects throws SimLoadError carrying MuJoCo message and the model name', async () => {
  const bad = '<mujoco model="broken"><worldbody><geom type="pyramid" size="1"/></worldbody></mujoco>';
  await assert.rejects(MujocoWorld.create({ xml: bad }), (e: unknown) => {
    assert.ok(e instanceof SimLoadError);
    assert.equal(e.code, 'SIM_LOAD');
    assert.equal(e.modelName, 'broken');
    assert.equal(e.mujocoMessage, "Loading error: XML Error: invalid keyword: 'pyramid'\nElement 'geom', line 1");
    assert.equal(
      e.message,
      `MujocoWorld.create("broken"): expected a model MuJoCo can load (MjModel), got MuJoCo error: Loading error: XML Error: invalid keyword: 'pyramid'\nElement 'geom', line 1. Fix the model text at the place MuJoCo names.`,
    );
    return true;
  });
  await assert.rejects(MujocoWorld.create({ xml: '<mujoco><worldbody>', name: 'half' }), (e: unknown) => e instanceof SimLoadError && /MujocoWorld.create\("half"\)/.test((e as Error).message));
  await assert.rejects(MujocoWorld.create({ file: '/nonexistent/robot.xml' }), (e: unknown) => e instanceof SimLoadError && /expected a readable model file/.test((e as Error).message));
  // The in-memory file system is cleaned up after a failed load too.
  const mj = await loadMujoco();
  assert.deepEqual(mj.FS.readdir('/lamkit').filter((n: string) => n !== '.' && n !== '..'), []);
});

test('loads URDF text, files from disk, and assets (included MJCF)', async () => {
  const urdf = `<robot name="one_link">
    <link name="base"><inertial><mass value="1"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial></link>
    <link name="arm"><inertial><mass value="0.5"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial>
      <collision><geometry><cylinder radius="0.02" length="0.3"/></geometry></collision></link>
    <joint name="hinge" type="revolute"><parent link="base"/><child link="arm"/><origin xyz="0 0 0.1"/><axis xyz="0 0 1"/><limit lower="-1" upper="1" effort="5" velocity="1"/></joint>
  </robot>`;
  const u = await MujocoWorld.create({ urdf });
  assert.equal(u.name, 'one_link');
  assert.equal(u.nq, 1);
  assert.deepEqual(u.names('joint'), ['hinge']);
  u.close();

  const dir = mkdtempSync(join(tmpdir(), 'lamkit-sim-'));
  try {
    const path = join(dir, 'pendulum.xml');
    writeFileSync(path, INVERTED_PENDULUM_XML);
    const f = await MujocoWorld.create({ file: path });
    assert.equal(f.name, path);
    assert.equal(f.nq, 2);
    f.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const main = '<mujoco model="with_include"><include file="parts/body.xml"/></mujoco>';
  const part = '<mujoco><worldbody><body name="box"><freejoint/><geom type="box" size="0.1 0.1 0.1"/></body></worldbody></mujoco>';
  const inc = await MujocoWorld.create({ xml: main, assets: { 'parts/body.xml': part } });
  assert.deepEqual(inc.names('body'), ['world', 'box']);
  inc.close();
  assert.throws(() => MujocoWorld.createSync(loadedMujoco()!, { xml: main, assets: { '../x.xml': part } }), InvalidArgument);
  assert.throws(() => MujocoWorld.createSync(loadedMujoco()!, { file: 'a.xml' }), /createSync.source: expected \{ xml: string \} or \{ urdf: string \}/);
  assert.throws(() => MujocoWorld.createSync(undefined as never, { xml: main }), InvalidArgument);
});

test('close() is idempotent and later use throws ClosedError', async () => {
  const w = await MujocoWorld.create({ xml: REACHER_XML });
  w.close();
  w.close();
  assert.equal(w.closed, true);
  assert.throws(() => w.step(1), ClosedError);
  assert.throws(() => w.qpos(), ClosedError);
  assert.throws(() => w.model, (e: unknown) => e instanceof ClosedError && /MujocoWorld\(reacher\).model: expected an open world, got a closed one/.test((e as Error).message));
});

test('creating and closing 1,000 worlds leaves memory flat', async () => {
  const mj = await loadMujoco();
  const cycle = (n: number, uniqueEvery: number): void => {
    for (let i = 0; i < n; i++) {
      const arm = i % 2 === 0;
      // Every `uniqueEvery`-th model is new text: compiled, cached, and later evicted from the template cache.
      const xml = i % uniqueEvery === 0 ? armXml({ puck: true, name: `arm_${i}_${n}` }) : arm ? armXml({ puck: true }) : REACHER_XML;
      const w = MujocoWorld.createSync(mj, { xml });
      w.step(2);
      w.snapshot();
      if (arm) w.jacSite('ee');
      w.close();
    }
  };
  // The WASM heap only grows (never shrinks): a leak shows as growth.
  const probeHeap = (): number => {
    const w = MujocoWorld.createSync(mj, { xml: REACHER_XML });
    const n = w.qpos().buffer.byteLength;
    w.close();
    return n;
  };
  // A full collection before each reading, so garbage the collector has not reached yet (it lags under the parallel
  // suite's load) does not read as growth. `gc` without --expose-gc: set the flag, then take it from a new context.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  // Warm up (fills the template cache; lets the WASM heap and V8 reach their working size), then measure.
  cycle(100, 5);
  gc();
  const heap0 = probeHeap();
  const rss0 = process.memoryUsage().rss;
  cycle(1000, 50);
  gc();
  const heap1 = probeHeap();
  const rss1 = process.memoryUsage().rss;
  assert.equal(heap1, heap0, `WASM heap grew from ${heap0} to ${heap1} bytes`);
  console.log(`1,000 worlds: process memory ${((rss1 - rss0) / 1e6).toFixed(1)} MB, WASM heap ${heap1 - heap0} bytes`);
  assert.ok(rss1 - rss0 < 40e6, `process memory grew by ${((rss1 - rss0) / 1e6).toFixed(1)} MB`);
});
