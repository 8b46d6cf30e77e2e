import { Color, DoubleSide, FrontSide, Group, Mesh, MeshPhongMaterial, Object3D, Quaternion, SRGBColorSpace, Vector3 } from 'three';
import type { BufferGeometry, Material } from 'three';
import { InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import { describeModel } from './scene-description.js';
import type { ModelLike, SceneDescription } from './scene-description.js';
import { geometryForGeom } from './geom-geometry.js';
import type { GeometryDetail } from './geom-geometry.js';
import { POSE_STRIDE } from './geom-poses.js';

/** Options of {@link MujocoScene}. */
export interface MujocoSceneOptions extends GeometryDetail {
  /** Geom groups drawn (MuJoCo's default shows 0, 1, 2); others get `visible = false`. */
  visibleGroups?: readonly number[];
}

/** The per-frame arrays of an `MjData` that a scene reads (live MuJoCo views or copies). */
export interface GeomPoseSource {
  /** `[ngeom x 3]` world positions. */
  geom_xpos: ArrayLike<number>;
  /** `[ngeom x 9]` world rotations, row-major. */
  geom_xmat: ArrayLike<number>;
}

const scratchPos = new Vector3();
const scratchQuat = new Quaternion();
const unitScale = new Vector3(1, 1, 1);

/**
 * A three.js scene graph of a MuJoCo model: one `Object3D` per geom (a `Mesh`
 * for drawn shapes), whose `matrix` is the geom's MuJoCo world pose
 * (`matrixAutoUpdate = false`; set by the `sync*` methods).
 *
 * MuJoCo is Z-up and three.js viewers are Y-up: every geom hangs under
 * {@link root}, a group rotated by -pi/2 about X, and nowhere else is the
 * axis convention handled. Inside `root` all coordinates are MuJoCo's.
 *
 * Needs no renderer or DOM: in Node it serves forward kinematics and tests;
 * the viewer page and the headless renderer add `root` to a lit `Scene`.
 *
 * Example:
 * ```ts
 * const scene = MujocoScene.fromModel(world.model);
 * scene.syncFromData(world.data);
 * scene.positionOf('fingertip'); // Vector3, MuJoCo world frame
 * ```
 */
export class MujocoScene {
  /** Y-up root: rotated -pi/2 about X; its children are in MuJoCo's Z-up frame. */
  readonly root: Group;
  /** `objects[g]` draws geom `g` (length `ngeom`). */
  readonly objects: readonly Object3D[];
  readonly description: SceneDescription;
  private readonly byName = new Map<string, number>();
  private readonly geometries: BufferGeometry[] = [];
  private readonly materials = new Map<string, Material>();
  private disposed = false;

  constructor(description: SceneDescription, options: MujocoSceneOptions = {}) {
    if (!description || !Array.isArray(description.geoms) || description.geoms.length !== description.ngeom) {
      throw new InvalidArgument(formatError('MujocoScene.description', 'a SceneDescription with ngeom geoms (from describeModel)', describeValue(description), 'Build it with describeModel(model)'));
    }
    const visibleGroups = new Set(options.visibleGroups ?? [0, 1, 2]);
    this.description = description;
    this.root = new Group();
    this.root.name = 'mujoco-root';
    this.root.rotation.x = -Math.PI / 2;
    this.root.updateMatrix();
    const objects: Object3D[] = [];
    for (const geom of description.geoms) {
      const geometry = geometryForGeom(geom, description.meshes, options);
      let object: Object3D;
      if (geometry) {
        this.geometries.push(geometry);
        object = new Mesh(geometry, this.material(geom.rgba, geom.shape === 'plane'));
      } else {
        object = new Object3D();
      }
      object.name = geom.name;
      object.matrixAutoUpdate = false;
      object.visible = geometry !== null && visibleGroups.has(geom.group) && geom.rgba[3] > 0;
      object.userData.geomIndex = geom.index;
      this.root.add(object);
      objects.push(object);
      if (geom.name && !this.byName.has(geom.name)) this.byName.set(geom.name, geom.index);
    }
    this.objects = objects;
  }

  /** Builds the scene straight from a compiled `MjModel`. */
  static fromModel(model: ModelLike, options: MujocoSceneOptions = {}): MujocoScene {
    return new MujocoScene(describeModel(model), options);
  }

  /** Number of geoms. */
  get ngeom(): number {
    return this.description.ngeom;
  }

  /** Copies every geom's pose from an `MjData` (after `mj_forward`/`mj_step`). No allocation. */
  syncFromData(data: GeomPoseSource): void {
    this.syncFromArrays(data.geom_xpos, data.geom_xmat);
  }

  /**
   * Sets each geom's matrix from `geomXpos` (`[ngeom x 3]`) and `geomXmat`
   * (`[ngeom x 9]`, row-major). No allocation.
   */
  syncFromArrays(geomXpos: ArrayLike<number>, geomXmat: ArrayLike<number>): void {
    const n = this.description.ngeom;
    if (geomXpos.length < 3 * n || geomXmat.length < 9 * n) {
      throw new InvalidArgument(formatError('MujocoScene.syncFromArrays', `geom_xpos of ${3 * n} and geom_xmat of ${9 * n} numbers`, `${geomXpos.length} and ${geomXmat.length}`, 'Pass the MjData of the model this scene was built from (re-read views after WASM memory grows)'));
    }
    for (let g = 0; g < n; g++) {
      const p = 3 * g;
      const m = 9 * g;
      this.objects[g].matrix.set(
        geomXmat[m], geomXmat[m + 1], geomXmat[m + 2], geomXpos[p],
        geomXmat[m + 3], geomXmat[m + 4], geomXmat[m + 5], geomXpos[p + 1],
        geomXmat[m + 6], geomXmat[m + 7], geomXmat[m + 8], geomXpos[p + 2],
        0, 0, 0, 1,
      );
      this.objects[g].matrixWorldNeedsUpdate = true;
    }
  }

  /** Sets each geom's matrix from a pose buffer `Float32Array [ngeom x 7]` (see `writeGeomPoses`). */
  syncFromPoses(poses: ArrayLike<number>): void {
    const n = this.description.ngeom;
    if (poses.length < POSE_STRIDE * n) {
      throw new InvalidArgument(formatError('MujocoScene.syncFromPoses', `${POSE_STRIDE * n} numbers (${n} geoms x 7)`, `${poses.length}`, 'Send poses written by writeGeomPoses for this model'));
    }
    for (let g = 0; g < n; g++) {
      const o = POSE_STRIDE * g;
      scratchPos.set(poses[o], poses[o + 1], poses[o + 2]);
      scratchQuat.set(poses[o + 4], poses[o + 5], poses[o + 6], poses[o + 3]);
      this.objects[g].matrix.compose(scratchPos, scratchQuat, unitScale);
      this.objects[g].matrixWorldNeedsUpdate = true;
    }
  }

  /** Index of the geom called `name`; throws `InvalidArgument` listing the names when absent. */
  geomIndex(name: string): number {
    const g = this.byName.get(name);
    if (g === undefined) {
      const names = [...this.byName.keys()];
      throw new InvalidArgument(formatError('MujocoScene.geomIndex', 'the name of a geom in the model', describeValue(name), `Named geoms: ${names.slice(0, 20).join(', ') || '(none)'}`));
    }
    return g;
  }

  /** The object drawing geom `name` (or index). */
  geom(nameOrIndex: string | number): Object3D {
    const g = typeof nameOrIndex === 'number' ? nameOrIndex : this.geomIndex(nameOrIndex);
    const object = this.objects[g];
    if (!object) {
      throw new InvalidArgument(formatError('MujocoScene.geom', `a geom index in [0, ${this.ngeom})`, describeValue(nameOrIndex), 'Use a valid index or name'));
    }
    return object;
  }

  /** Position of a geom in MuJoCo's world frame (Z-up), as last synced. */
  positionOf(nameOrIndex: string | number, out: Vector3 = new Vector3()): Vector3 {
    return out.setFromMatrixPosition(this.geom(nameOrIndex).matrix);
  }

  /** Releases geometries and materials (GPU buffers once rendered). Safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const g of this.geometries) g.dispose();
    for (const m of this.materials.values()) m.dispose();
    this.root.clear();
  }

  /** One material per distinct colour. */
  private material(rgba: readonly number[], doubleSided: boolean): Material {
    const key = `${rgba.join(',')}|${doubleSided}`;
    let mat = this.materials.get(key);
    if (!mat) {
      mat = new MeshPhongMaterial({
        // MuJoCo's rgba are display colours: treat them as sRGB.
        color: new Color().setRGB(rgba[0], rgba[1], rgba[2], SRGBColorSpace),
        transparent: rgba[3] < 1,
        opacity: rgba[3],
        shininess: 30,
        side: doubleSided ? DoubleSide : FrontSide,
      });
      this.materials.set(key, mat);
    }
    return mat;
  }
}

