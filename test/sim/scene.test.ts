import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Box3, Mesh, Vector3 } from 'three';
import { loadMujoco } from '../../sim/load-mujoco.js';
import { MujocoScene, describeModel, writeGeomPoses, POSE_STRIDE } from '../../sim/scene/index.js';
import { InvalidArgument } from '../../src/core/errors.js';

/** Every drawable geom type, a hinge to move, a material and a named camera. */
const XML = `<mujoco model="shapes">
  <asset>
    <mesh name="tet" vertex="0 0 0  1 0 0  0 1 0  0 0 1" scale="0.1 0.1 0.1"/>
    <material name="red" rgba="1 0 0 1"/>
  </asset>
  <worldbody>
    <geom name="floor" type="plane" size="0 0 0.1" rgba="0.2 0.3 0.4 1"/>
    <camera name="front" pos="0 -2 1" xyaxes="1 0 0 0 0.5 1" fovy="50"/>
    <body name="arm" pos="0 0 0.5">
      <joint name="hinge" type="hinge" axis="0 1 0"/>
      <geom name="upper" type="capsule" fromto="0 0 0 0 0 0.4" size="0.05" material="red"/>
      <geom name="tip" type="sphere" pos="0 0 0.4" size="0.06" rgba="0 1 0 1"/>
      <geom name="can" type="cylinder" pos="0.2 0 0" size="0.04 0.1"/>
      <geom name="brick" type="box" pos="-0.2 0 0" size="0.1 0.05 0.02"/>
      <geom name="egg" type="ellipsoid" pos="0 0.2 0" size="0.03 0.04 0.05"/>
      <geom name="shard" type="mesh" mesh="tet" pos="0 -0.2 0"/>
      <geom name="hidden" type="sphere" size="0.01" group="3"/>
    </body>
  </worldbody>
</mujoco>`;

async function loadShapes() {
  const mj = await loadMujoco();
  if (!mj.FS.analyzePath('/scene-test', false).exists) mj.FS.mkdir('/scene-test');
  mj.FS.writeFile('/scene-test/shapes.xml', XML);
  const model = mj.MjModel.mj_loadXML('/scene-test/shapes.xml');
  const data = new mj.MjData(model);
  return { mj, model, data };
}

const close = (a: number, b: number, tol = 1e-6) => Math.abs(a - b) <= tol;

test('scene: one Object3D per geom with shapes, colours and visibility from the model', async () => {
  const { model, data } = await loadShapes();
  const scene = MujocoScene.fromModel(model);
  const desc = scene.description;
  assert.equal(scene.objects.length, model.ngeom);
  assert.deepEqual(desc.geoms.map((g) => g.shape), ['plane', 'capsule', 'sphere', 'cylinder', 'box', 'ellipsoid', 'mesh', 'sphere']);
  assert.deepEqual(desc.geoms.map((g) => g.name), ['floor', 'upper', 'tip', 'can', 'brick', 'egg', 'shard', 'hidden']);
  // Plane of size 0 is infinite in MuJoCo: finite here, from the extent.
  assert.ok(desc.geoms[0].size[0] > 0 && desc.geoms[0].size[0] === 4 * desc.extent);
  // Material colour replaces the default geom colour; explicit rgba wins.
  assert.deepEqual(desc.geoms[1].rgba, [1, 0, 0, 1]);
  assert.deepEqual(desc.geoms[2].rgba, [0, 1, 0, 1]);
  assert.deepEqual(desc.cameras, [{ index: 0, name: 'front', fovyDeg: 50 }]);
  assert.equal(desc.meshes[0].vertices.length, 12);
  assert.equal(desc.meshes[0].faces.length, 12);
  for (const object of scene.objects.slice(0, 7)) {
    assert.ok(object instanceof Mesh, object.name);
    assert.equal(object.visible, true, object.name);
    assert.equal(object.matrixAutoUpdate, false);
  }
  assert.equal(scene.geom('hidden').visible, false, 'group 3 is hidden by default');
  // Description is JSON-safe (it travels to the viewer page).
  assert.deepEqual(JSON.parse(JSON.stringify(desc)), desc);
  scene.dispose();
  scene.dispose();
  data.delete();
  model.delete();
});

test('scene: capsule and cylinder lie along the geom Z axis; box and ellipsoid keep their axes', async () => {
  const { model, data } = await loadShapes();
  const scene = MujocoScene.fromModel(model);
  const extentOf = (name: string) => {
    const geometry = (scene.geom(name) as Mesh).geometry;
    geometry.computeBoundingBox();
    return geometry.boundingBox!.getSize(new Vector3());
  };
  const capsule = extentOf('upper');
  assert.ok(close(capsule.z, 0.4 + 2 * 0.05, 1e-6) && close(capsule.x, 0.1, 1e-3), `capsule ${capsule.toArray()}`);
  const cylinder = extentOf('can');
  assert.ok(close(cylinder.z, 0.2, 1e-6) && close(cylinder.x, 0.08, 1e-3), `cylinder ${cylinder.toArray()}`);
  assert.deepEqual(extentOf('brick').toArray().map((v) => +v.toFixed(6)), [0.2, 0.1, 0.04]);
  assert.deepEqual(extentOf('egg').toArray().map((v) => +v.toFixed(6)), [0.06, 0.08, 0.1]);
  scene.dispose();
  data.delete();
  model.delete();
});

test('scene: poses follow MuJoCo forward kinematics; root maps Z-up to Y-up once', async () => {
  const { mj, model, data } = await loadShapes();
  const scene = MujocoScene.fromModel(model);
  data.qpos[0] = Math.PI / 2; // rotate the arm about +y: the tip swings from +z to +x
  mj.mj_forward(model, data);
  scene.syncFromData(data);
  const tip = scene.positionOf('tip');
  assert.ok(close(tip.x, 0.4) && close(tip.y, 0) && close(tip.z, 0.5), `tip ${tip.toArray()}`);
  for (let g = 0; g < model.ngeom; g++) {
    const p = scene.positionOf(g);
    assert.ok(close(p.x, data.geom_xpos[3 * g]) && close(p.y, data.geom_xpos[3 * g + 1]) && close(p.z, data.geom_xpos[3 * g + 2]));
  }
  // In three's Y-up world, MuJoCo (x, y, z) is (x, z, -y).
  scene.root.updateMatrixWorld(true);
  const world = scene.geom('shard').getWorldPosition(new Vector3());
  const [x, y, z] = [data.geom_xpos[18], data.geom_xpos[19], data.geom_xpos[20]];
  assert.ok(close(world.x, x) && close(world.y, z) && close(world.z, -y), `shard ${world.toArray()} vs ${[x, y, z]}`);
  // The capsule, rotated with the arm, now spans MuJoCo's x axis.
  const box = new Box3().setFromObject(scene.geom('upper'));
  const size = box.getSize(new Vector3());
  assert.ok(close(size.x, 0.5, 1e-3) && close(size.y, 0.1, 1e-3), `world capsule box ${size.toArray()}`);
  scene.dispose();
  data.delete();
  model.delete();
});

test('scene: a pose buffer (position + wxyz quaternion) reproduces geom_xmat', async () => {
  const { mj, model, data } = await loadShapes();
  const a = MujocoScene.fromModel(model);
  const b = new MujocoScene(describeModel(model));
  for (const angle of [0.3, 2.9, -3.1, Math.PI]) {
    data.qpos[0] = angle;
    mj.mj_forward(model, data);
    a.syncFromData(data);
    const poses = writeGeomPoses(data.geom_xpos, data.geom_xmat, model.ngeom, new Float32Array(model.ngeom * POSE_STRIDE));
    b.syncFromPoses(poses);
    for (let g = 0; g < model.ngeom; g++) {
      const qw = poses[7 * g + 3];
      assert.ok(qw >= 0, 'w >= 0');
      const ea = a.objects[g].matrix.elements;
      const eb = b.objects[g].matrix.elements;
      for (let i = 0; i < 16; i++) assert.ok(close(ea[i], eb[i], 1e-6), `geom ${g} element ${i}: ${ea[i]} vs ${eb[i]}`);
    }
  }
  a.dispose();
  b.dispose();
  data.delete();
  model.delete();
});

test('scene: bad input throws typed errors with the house message', async () => {
  const { model, data } = await loadShapes();
  const scene = MujocoScene.fromModel(model);
  assert.throws(() => scene.geomIndex('elbow'), (err: unknown) => err instanceof InvalidArgument && err.message === 'MujocoScene.geomIndex: expected the name of a geom in the model, got "elbow". Named geoms: floor, upper, tip, can, brick, egg, shard, hidden.');
  assert.throws(() => scene.syncFromPoses(new Float32Array(3)), (err: unknown) => err instanceof InvalidArgument && err.message === 'MujocoScene.syncFromPoses: expected 56 numbers (8 geoms x 7), got 3. Send poses written by writeGeomPoses for this model.');
  assert.throws(() => new MujocoScene({} as never), InvalidArgument);
  scene.dispose();
  data.delete();
  model.delete();
});
