/**
 * A plain-data description of what a MuJoCo model looks like: one entry per
 * geom (shape, size, colour), the meshes they use and the named cameras.
 *
 * It is read once from a compiled `MjModel` ({@link describeModel}) and is all
 * a three.js scene needs besides per-frame poses, so the same description
 * builds the scene in Node (forward kinematics, tests), in the viewer page
 * (sent as JSON over WebSocket) and in the headless renderer.
 *
 * This module imports nothing: it runs in Node and in the browser.
 */

/** MuJoCo's `mjtGeom` values that have a visual shape. */
export const GEOM_TYPE = {
  plane: 0,
  hfield: 1,
  sphere: 2,
  capsule: 3,
  ellipsoid: 4,
  cylinder: 5,
  box: 6,
  mesh: 7,
} as const;

/** Geom shapes a scene can draw. */
export type GeomShape = 'plane' | 'sphere' | 'capsule' | 'ellipsoid' | 'cylinder' | 'box' | 'mesh';

/** One geom of the model. */
export interface GeomDescription {
  /** Index in the model (`0 <= index < ngeom`), also the index into poses. */
  index: number;
  /** The geom's name, `''` when unnamed. */
  name: string;
  /** Drawn shape, or `null` for types a scene does not draw (height fields, SDF). */
  shape: GeomShape | null;
  /**
   * MuJoCo's `geom_size` (metres): sphere `[r]`, capsule/cylinder `[r, halfLength]`,
   * box/ellipsoid `[hx, hy, hz]`, plane `[hx, hy]` (a plane of size 0 in MuJoCo
   * is infinite; it is given a finite size from the model's extent here).
   */
  size: [number, number, number];
  /** Colour in [0, 1]: the geom's `rgba`, or its material's when the geom keeps the default colour. */
  rgba: [number, number, number, number];
  /** Index into {@link SceneDescription.meshes} for mesh geoms, else -1. */
  meshIndex: number;
  /** Visibility group (MuJoCo shows groups 0-2 by default). */
  group: number;
  /** Index of the body the geom is attached to (0 = world). */
  bodyIndex: number;
}

/** Triangle mesh in the geom's frame (MuJoCo has already centred and aligned it). */
export interface MeshDescription {
  name: string;
  /** Vertex positions, `[nvert x 3]` flattened. */
  vertices: number[];
  /** Triangle vertex indices, `[nface x 3]` flattened. */
  faces: number[];
}

/** A camera defined in the MJCF (`<camera name=...>`). */
export interface CameraDescription {
  index: number;
  name: string;
  /** Vertical field of view in degrees (`cam_fovy`). */
  fovyDeg: number;
}

/** Everything needed to draw a model, JSON-serialisable. */
export interface SceneDescription {
  /** Number of geoms in the model (= `geoms.length`, = pose count per frame). */
  ngeom: number;
  geoms: GeomDescription[];
  meshes: MeshDescription[];
  cameras: CameraDescription[];
  /** Model centre (`stat.center`, MuJoCo world frame, metres), for default cameras. */
  center: [number, number, number];
  /** Model extent (`stat.extent`, metres), for default cameras. */
  extent: number;
  /** Default free-camera field of view (`vis.global.fovy`, degrees). */
  fovyDeg: number;
}

/**
 * The fields of a compiled `MjModel` that {@link describeModel} reads.
 * Structural, so this module need not import `mujoco`.
 */
export interface ModelLike {
  ngeom: number;
  nmesh: number;
  ncam: number;
  geom_type: ArrayLike<number>;
  geom_size: ArrayLike<number>;
  geom_rgba: ArrayLike<number>;
  geom_matid: ArrayLike<number>;
  geom_dataid: ArrayLike<number>;
  geom_group: ArrayLike<number>;
  geom_bodyid: ArrayLike<number>;
  mat_rgba: ArrayLike<number>;
  mesh_vert: ArrayLike<number>;
  mesh_vertadr: ArrayLike<number>;
  mesh_vertnum: ArrayLike<number>;
  mesh_face: ArrayLike<number>;
  mesh_faceadr: ArrayLike<number>;
  mesh_facenum: ArrayLike<number>;
  cam_fovy: ArrayLike<number>;
  names: ArrayLike<number>;
  name_geomadr: ArrayLike<number>;
  name_meshadr: ArrayLike<number>;
  name_camadr: ArrayLike<number>;
  stat: { center: ArrayLike<number>; extent: number };
  vis: { global: { fovy: number } };
}

const SHAPE_BY_TYPE: Record<number, GeomShape> = {
  [GEOM_TYPE.plane]: 'plane',
  [GEOM_TYPE.sphere]: 'sphere',
  [GEOM_TYPE.capsule]: 'capsule',
  [GEOM_TYPE.ellipsoid]: 'ellipsoid',
  [GEOM_TYPE.cylinder]: 'cylinder',
  [GEOM_TYPE.box]: 'box',
  [GEOM_TYPE.mesh]: 'mesh',
};

/** MuJoCo's default geom colour: a geom with it shows its material's colour instead. */
const DEFAULT_RGBA = [0.5, 0.5, 0.5, 1];

/**
 * Reads a {@link SceneDescription} from a compiled MuJoCo model.
 *
 * MuJoCo's typed views go stale when WASM memory grows, so this copies every
 * array it keeps; call it right after loading (or any time: it allocates, so
 * not per frame).
 */
export function describeModel(model: ModelLike): SceneDescription {
  const extent = model.stat.extent > 0 ? model.stat.extent : 1;
  const meshes: MeshDescription[] = [];
  for (let m = 0; m < model.nmesh; m++) {
    const v0 = model.mesh_vertadr[m] * 3;
    const f0 = model.mesh_faceadr[m] * 3;
    meshes.push({
      name: readName(model.names, model.name_meshadr[m]),
      vertices: Array.from(sliceOf(model.mesh_vert, v0, v0 + model.mesh_vertnum[m] * 3)),
      faces: Array.from(sliceOf(model.mesh_face, f0, f0 + model.mesh_facenum[m] * 3)),
    });
  }
  const geoms: GeomDescription[] = [];
  for (let g = 0; g < model.ngeom; g++) {
    const type = model.geom_type[g];
    const shape = SHAPE_BY_TYPE[type] ?? null;
    const size: [number, number, number] = [model.geom_size[3 * g], model.geom_size[3 * g + 1], model.geom_size[3 * g + 2]];
    if (shape === 'plane') {
      // MuJoCo draws a plane of size 0 as infinite; a scene needs a finite one.
      if (!(size[0] > 0)) size[0] = 4 * extent;
      if (!(size[1] > 0)) size[1] = 4 * extent;
    }
    geoms.push({
      index: g,
      name: readName(model.names, model.name_geomadr[g]),
      shape,
      size,
      rgba: geomRgba(model, g),
      meshIndex: shape === 'mesh' ? model.geom_dataid[g] : -1,
      group: model.geom_group[g],
      bodyIndex: model.geom_bodyid[g],
    });
  }
  const cameras: CameraDescription[] = [];
  for (let c = 0; c < model.ncam; c++) {
    cameras.push({ index: c, name: readName(model.names, model.name_camadr[c]), fovyDeg: model.cam_fovy[c] });
  }
  return {
    ngeom: model.ngeom,
    geoms,
    meshes,
    cameras,
    center: [model.stat.center[0], model.stat.center[1], model.stat.center[2]],
    extent,
    fovyDeg: model.vis.global.fovy,
  };
}

/** The colour MuJoCo draws geom `g` with: its own rgba unless default and a material is set. */
function geomRgba(model: ModelLike, g: number): [number, number, number, number] {
  const own: [number, number, number, number] = [model.geom_rgba[4 * g], model.geom_rgba[4 * g + 1], model.geom_rgba[4 * g + 2], model.geom_rgba[4 * g + 3]];
  const mat = model.geom_matid[g];
  if (mat < 0) return own;
  const isDefault = own.every((v, i) => Math.abs(v - DEFAULT_RGBA[i]) < 1e-6);
  if (!isDefault) return own;
  return [model.mat_rgba[4 * mat], model.mat_rgba[4 * mat + 1], model.mat_rgba[4 * mat + 2], model.mat_rgba[4 * mat + 3]];
}

/** Reads a NUL-terminated name from MuJoCo's `names` buffer. */
function readName(names: ArrayLike<number>, adr: number): string {
  let out = '';
  for (let i = adr; i < names.length && names[i] !== 0; i++) out += String.fromCharCode(names[i]);
  return out;
}

function sliceOf(arr: ArrayLike<number>, from: number, to: number): ArrayLike<number> {
  return ArrayBuffer.isView(arr) ? (arr as unknown as Float32Array).subarray(from, to) : Array.prototype.slice.call(arr, from, to);
}
