import type { MjData, MjModel } from 'mujoco';
import { ClosedError, InvalidArgument, formatError, describeValue } from '../src/core/errors.js';
import { loadMujoco, type Mujoco } from './load-mujoco.js';
import { SimLoadError } from './sim-load-error.js';
import { modelNameOf, readModelFile, sourceText, loadModel, type ModelSource } from './model-files.js';

export type { ModelSource } from './model-files.js';
import { poseAt } from './mat2quat.js';
import { copyCachedModel } from './model-cache.js';
import { readViews, type Views } from './world-views.js';
import { objectCount, objectNames, objectType, type ObjectKind } from './object-kinds.js';

export type { ObjectKind } from './object-kinds.js';

/** A rigid pose in world coordinates (MuJoCo is Z-up). */
export interface Pose {
  /** `Float64Array [3]`, metres. */
  posWorld: Float64Array;
  /** `Float64Array [4]`, unit quaternion (w, x, y, z). */
  quatWxyz: Float64Array;
  /** `Float64Array [9]`, rotation matrix, row-major (columns are the frame's axes). */
  xmat: Float64Array;
}

/** A full simulation state from {@link MujocoWorld.snapshot} (MuJoCo's `mjSTATE_INTEGRATION`). */
export interface WorldSnapshot {
  readonly modelName: string;
  /** `Float64Array [mj_stateSize(model, mjSTATE_INTEGRATION)]`. */
  readonly state: Float64Array;
}

/**
 * One MuJoCo model and its simulation data (npm `mujoco`, MuJoCo 3.5).
 *
 * Create with `await MujocoWorld.create({ xml })` (loads the WASM module on
 * first use) or, once {@link loadMujoco} has resolved, synchronously with
 * `MujocoWorld.createSync(mj, { xml })`. The world owns WASM memory that the
 * garbage collector never frees: call {@link close} (idempotent).
 *
 * Array accessors (`qpos()`, `geomXpos()`, ...) return live `Float64Array`
 * views into WASM memory. Any later WASM allocation (another world, a
 * snapshot) may invalidate a view: call the accessor again instead of keeping
 * it. Models meant to be instantiated many times should declare a small arena,
 * e.g. `<size memory="1M"/>` (the default reserves ~14 MiB per `MjData`).
 */
export class MujocoWorld {
  /** The WASM module this world lives in. */
  readonly mj: Mujoco;
  /** Name used in errors: `source.name` or the model's own name. */
  readonly name: string;
  /** Number of position coordinates, velocity coordinates, actuators. */
  readonly nq: number;
  readonly nv: number;
  readonly nu: number;
  readonly nbody: number;
  readonly ngeom: number;
  readonly nsite: number;
  /** Physics step `opt.timestep`, seconds. */
  readonly timestepSeconds: number;
  private readonly mjModel: MjModel;
  private readonly mjData: MjData;
  private views: Views;
  private readonly stateSig: number;
  private isClosed = false;
  private jacBuffer: ReturnType<Mujoco['DoubleBuffer']['FromArray']> | null = null;
  private stateBuffer: ReturnType<Mujoco['DoubleBuffer']['FromArray']> | null = null;
  private readonly stepFn: (m: MjModel, d: MjData) => void;
  private readonly rnePostFn: (m: MjModel, d: MjData) => void;

  private constructor(mj: Mujoco, model: MjModel, data: MjData, name: string) {
    this.mj = mj;
    this.mjModel = model;
    this.mjData = data;
    this.name = name;
    this.nq = model.nq;
    this.nv = model.nv;
    this.nu = model.nu;
    this.nbody = model.nbody;
    this.ngeom = model.ngeom;
    this.nsite = model.nsite;
    const opt = model.opt;
    this.timestepSeconds = opt.timestep;
    opt.delete();
    this.stateSig = mj.mjtState.mjSTATE_INTEGRATION.value;
    this.stepFn = mj.mj_step.bind(mj);
    this.rnePostFn = mj.mj_rnePostConstraint.bind(mj);
    this.views = readViews(this.mjData);
    mj.mj_forward(model, data);
  }

  /** Loads MuJoCo if needed, then the model. @throws SimLoadError when MuJoCo rejects the model. */
  static async create(source: ModelSource): Promise<MujocoWorld> {
    const mj = await loadMujoco();
    if (source && typeof source === 'object' && 'file' in source && typeof source.file === 'string') {
      const text = await readModelFile(source.file);
      const name = source.name ?? source.file;
      const isUrdf = /\.urdf$/i.test(source.file);
      return MujocoWorld.createSync(mj, isUrdf ? { urdf: text, name, assets: source.assets } : { xml: text, name, assets: source.assets });
    }
    return MujocoWorld.createSync(mj, source);
  }

  /**
   * Builds a world synchronously from an already loaded module (tasks built
   * by `make`, whose registration awaits `loadMujoco()` in `prepare`).
   * Accepts `{ xml }` and `{ urdf }`; `{ file }` needs {@link create}.
   * Compiled models without `assets` are cached per text (see
   * `sim/model-cache.ts`): the second world of a model costs ~0.2 ms, not
   * the 5-30 ms of compiling it.
   * @throws SimLoadError when MuJoCo rejects the model; InvalidArgument on a bad source.
   */
  static createSync(mj: Mujoco, source: ModelSource): MujocoWorld {
    if (!mj || typeof mj.mj_step !== 'function') {
      throw new InvalidArgument(formatError('MujocoWorld.createSync.mj', 'the module from await loadMujoco()', describeValue(mj), 'Await loadMujoco() first, or use MujocoWorld.create()'));
    }
    const text = sourceText(source);
    const isUrdf = 'urdf' in source;
    const name = source.name ?? modelNameOf(text, isUrdf);
    let model: MjModel | null = null;
    let data: MjData | null = null;
    try {
      model = source.assets ? loadModel(mj, name, text, isUrdf, source.assets) : copyCachedModel(mj, `${isUrdf ? 'urdf' : 'xml'}:${text}`, () => loadModel(mj, name, text, isUrdf));
      try {
        data = new mj.MjData(model);
      } catch (err) {
        throw SimLoadError.fromMujoco(name, err, 'MjData');
      }
      return new MujocoWorld(mj, model, data, name);
    } catch (err) {
      (data as MjData | null)?.delete();
      (model as MjModel | null)?.delete();
      throw err;
    }
  }

  /** The raw `MjModel` (for scene building and advanced use). Do not delete it. */
  get model(): MjModel {
    this.assertOpen('model');
    return this.mjModel;
  }

  /** The raw `MjData`. Do not delete it. */
  get data(): MjData {
    this.assertOpen('data');
    return this.mjData;
  }

  /** True after {@link close}. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Simulation time, seconds. */
  get time(): number {
    return this.mjData.time;
  }

  set time(seconds: number) {
    this.mjData.time = seconds;
  }

  /**
   * Advances `frameSkip` physics steps (`mj_step` each), then runs
   * `mj_rnePostConstraint` so `cacc`/`cfrc_*` are current (as Gymnasium's
   * `MujocoEnv.do_simulation`). Controls are whatever `ctrl()` holds.
   */
  step(frameSkip = 1): void {
    if (this.isClosed) this.assertOpen('step');
    if (!(frameSkip >= 1) || (frameSkip | 0) !== frameSkip) {
      throw new InvalidArgument(formatError('MujocoWorld.step.frameSkip', 'an integer >= 1', describeValue(frameSkip), 'Pass the number of physics steps per call'));
    }
    const m = this.mjModel;
    const d = this.mjData;
    for (let i = 0; i < frameSkip; i++) this.stepFn(m, d);
    this.rnePostFn(m, d);
  }

  /** Recomputes derived quantities (poses, ...) from `qpos`/`qvel` without advancing time (`mj_forward`). */
  forward(): void {
    this.assertOpen('forward');
    this.mj.mj_forward(this.mjModel, this.mjData);
  }

  /** Resets to the model's initial state (`mj_resetData`, then `mj_forward`). */
  reset(): void {
    this.assertOpen('reset');
    this.mj.mj_resetData(this.mjModel, this.mjData);
    this.mj.mj_forward(this.mjModel, this.mjData);
  }

  /** Live view `Float64Array [nq]` of joint positions (see class note on staleness). */
  qpos(): Float64Array {
    return this.v().qpos;
  }

  /** Live view `Float64Array [nv]` of joint velocities. */
  qvel(): Float64Array {
    return this.v().qvel;
  }

  /** Live view `Float64Array [nu]` of actuator controls (MuJoCo clamps them to `ctrlrange` when limited). */
  ctrl(): Float64Array {
    return this.v().ctrl;
  }

  /** Live view `Float64Array [na]` of actuator activations. */
  act(): Float64Array {
    return this.v().act;
  }

  /** Live view `Float64Array [nbody x 3]` of body frame positions. */
  xpos(): Float64Array {
    return this.v().xpos;
  }

  /** Live view `Float64Array [nbody x 9]` of body frame rotations (row-major). */
  xmat(): Float64Array {
    return this.v().xmat;
  }

  /** Live view `Float64Array [nbody x 4]` of body frame quaternions (w, x, y, z). */
  xquat(): Float64Array {
    return this.v().xquat;
  }

  /** Live view `Float64Array [ngeom x 3]` of geom positions. */
  geomXpos(): Float64Array {
    return this.v().geomXpos;
  }

  /** Live view `Float64Array [ngeom x 9]` of geom rotations (row-major). */
  geomXmat(): Float64Array {
    return this.v().geomXmat;
  }

  /** Live view `Float64Array [nsite x 3]` of site positions. */
  siteXpos(): Float64Array {
    return this.v().siteXpos;
  }

  /** Live view `Float64Array [nsite x 9]` of site rotations (row-major). */
  siteXmat(): Float64Array {
    return this.v().siteXmat;
  }

  /** Live view `Float64Array [nmocap x 3]` of mocap body positions (writable; see {@link mocapId}). */
  mocapPos(): Float64Array {
    return this.v().mocapPos;
  }

  /** Live view `Float64Array [nmocap x 4]` of mocap body quaternions (w, x, y, z; writable). */
  mocapQuat(): Float64Array {
    return this.v().mocapQuat;
  }

  /** Index of mocap body `body` in `mocapPos()`/`mocapQuat()`. @throws InvalidArgument when it is not a mocap body. */
  mocapId(body: string | number): number {
    const i = this.resolve('body', body);
    const id = (this.mjModel.body_mocapid as Int32Array)[i];
    if (id < 0) {
      throw new InvalidArgument(formatError(`MujocoWorld(${this.name}).mocapId`, 'a body declared with mocap="true"', describeValue(body), 'Mark the body mocap="true" in the model'));
    }
    return id;
  }

  /**
   * Sets `qpos` and `qvel` (lengths nq and nv) and runs `mj_forward`
   * (Gymnasium's `MujocoEnv.set_state`).
   */
  setState(qpos: ArrayLike<number>, qvel: ArrayLike<number>): void {
    const views = this.v();
    checkVector('MujocoWorld.setState.qpos', qpos, this.nq);
    checkVector('MujocoWorld.setState.qvel', qvel, this.nv);
    views.qpos.set(qpos);
    views.qvel.set(qvel);
    this.mj.mj_forward(this.mjModel, this.mjData);
  }

  /** Copies `values` (length nu) into `ctrl`. */
  setCtrl(values: ArrayLike<number>): void {
    const views = this.v();
    checkVector('MujocoWorld.setCtrl', values, this.nu);
    views.ctrl.set(values);
  }

  /** Id of the named object. @throws InvalidArgument listing the model's names when absent. */
  id(kind: ObjectKind, name: string): number {
    this.assertOpen('id');
    const objType = objectType(this.mj, kind);
    const id = typeof name === 'string' ? this.mj.mj_name2id(this.mjModel, objType, name) : -1;
    if (id < 0) {
      const known = this.names(kind);
      throw new InvalidArgument(
        formatError(`MujocoWorld(${this.name}).${kind}`, `one of ${known.length ? known.map((n) => `'${n}'`).join(', ') : `(no named ${kind}s)`}`, describeValue(name), `Use a ${kind} name from the model`),
      );
    }
    return id;
  }

  /** Names of all objects of `kind`, by id (unnamed objects give ''). */
  names(kind: ObjectKind): string[] {
    this.assertOpen('names');
    return objectNames(this.mj, this.mjModel, kind);
  }

  /** Index of joint `name`'s first coordinate in `qpos`. */
  jointQposAdr(name: string): number {
    return (this.mjModel.jnt_qposadr as Int32Array)[this.id('joint', name)];
  }

  /** Index of joint `name`'s first coordinate in `qvel`. */
  jointDofAdr(name: string): number {
    return (this.mjModel.jnt_dofadr as Int32Array)[this.id('joint', name)];
  }

  /** Pose of a body's frame (a copy). */
  bodyPose(body: string | number): Pose {
    const i = this.resolve('body', body);
    const v = this.v();
    return poseAt(v.xpos, v.xmat, i, v.xquat);
  }

  /** Pose of a site (a copy). */
  sitePose(site: string | number): Pose {
    const i = this.resolve('site', site);
    const v = this.v();
    return poseAt(v.siteXpos, v.siteXmat, i);
  }

  /** Pose of a geom (a copy). */
  geomPose(geom: string | number): Pose {
    const i = this.resolve('geom', geom);
    const v = this.v();
    return poseAt(v.geomXpos, v.geomXmat, i);
  }

  /**
   * Translational Jacobian of a site's origin, `Float64Array [3 x nv]`
   * row-major, written into `out` (allocated when omitted). Uses the current
   * kinematics (after `step`, `forward` or `setState`).
   */
  jacSite(site: string | number, out?: Float64Array): Float64Array {
    const i = this.resolve('site', site);
    const n = 3 * this.nv;
    if (!this.jacBuffer) this.jacBuffer = new this.mj.DoubleBuffer(n);
    this.mj.mj_jacSite(this.mjModel, this.mjData, this.jacBuffer, null, i);
    const result = out ?? new Float64Array(n);
    result.set((this.jacBuffer.GetView() as Float64Array).subarray(0, n));
    return result;
  }

  /** Copies the full integration state (time, qpos, qvel, act, ctrl, warm start, applied forces, mocap). */
  snapshot(): WorldSnapshot {
    this.assertOpen('snapshot');
    const buf = this.stateBuf();
    this.mj.mj_getState(this.mjModel, this.mjData, buf, this.stateSig);
    return { modelName: this.name, state: Float64Array.from(buf.GetView() as Float64Array) };
  }

  /** Restores a {@link snapshot} of this model exactly, then runs `mj_forward`. */
  restore(snapshot: WorldSnapshot): void {
    this.assertOpen('restore');
    const size = this.mj.mj_stateSize(this.mjModel, this.stateSig);
    if (!snapshot || !(snapshot.state instanceof Float64Array) || snapshot.state.length !== size) {
      throw new InvalidArgument(
        formatError(`MujocoWorld(${this.name}).restore`, `a snapshot of this model (Float64Array of ${size})`, describeValue(snapshot?.state ?? snapshot), 'Pass the value returned by snapshot() on a world of the same model'),
      );
    }
    const buf = this.stateBuf();
    (buf.GetView() as Float64Array).set(snapshot.state);
    this.mj.mj_setState(this.mjModel, this.mjData, buf.GetView(), this.stateSig);
    this.mj.mj_forward(this.mjModel, this.mjData);
  }

  /** Frees the model, data and buffers. Safe to call any number of times. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.jacBuffer?.delete();
    this.stateBuffer?.delete();
    this.jacBuffer = null;
    this.stateBuffer = null;
    this.mjData.delete();
    this.mjModel.delete();
  }

  private stateBuf(): NonNullable<MujocoWorld['stateBuffer']> {
    if (!this.stateBuffer) this.stateBuffer = new this.mj.DoubleBuffer(this.mj.mj_stateSize(this.mjModel, this.stateSig));
    return this.stateBuffer;
  }

  private resolve(kind: ObjectKind, nameOrId: string | number): number {
    if (typeof nameOrId === 'string') return this.id(kind, nameOrId);
    this.assertOpen(kind);
    const count = objectCount(this.mjModel, kind);
    if (!Number.isInteger(nameOrId) || nameOrId < 0 || nameOrId >= count) {
      throw new InvalidArgument(formatError(`MujocoWorld(${this.name}).${kind}`, `a name or an id in [0, ${count})`, describeValue(nameOrId), `Use world.id('${kind}', name)`));
    }
    return nameOrId;
  }

  /** Current views, re-read when WASM memory growth has detached them. */
  private v(): Views {
    if (this.isClosed) this.assertOpen('view');
    if (this.views.xpos.length === 0) this.views = readViews(this.mjData);
    return this.views;
  }

  private assertOpen(what: string): void {
    if (this.isClosed) {
      throw new ClosedError(formatError(`MujocoWorld(${this.name}).${what}`, 'an open world', 'a closed one', 'Create a new world; close() frees it for good'));
    }
  }
}

function checkVector(where: string, values: ArrayLike<number>, n: number): void {
  if (values === null || typeof values !== 'object' || values.length !== n) {
    throw new InvalidArgument(formatError(where, `${n} numbers`, describeValue(values), `Pass an array of length ${n}`));
  }
}

