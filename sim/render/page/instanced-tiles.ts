/**
 * Browser side of the batched renderer's optional instanced path: every sub-env's scene
 * drawn into its tile of one canvas with one instanced draw per geom
 * (instance i = sub-env i) instead of one draw per geom per tile
 * (18 geoms x 64 tiles = 1,152 draws become 18).
 *
 * Built to give the pixels of one draw per tile:
 * - each instance's model-view matrix and normal matrix are computed on
 *   the CPU exactly as three.js computes them for a single `Mesh`
 *   (`camera.matrixWorldInverse x object.matrixWorld`, then
 *   `getNormalMatrix`), and the vertex shader multiplies by them where
 *   three.js multiplies by its `modelViewMatrix` / `normalMatrix` uniforms;
 * - the lights are the same objects seen from the same camera.
 * What differs: each instance's clip-space position is mapped into its
 * tile's rectangle of the full-canvas viewport (instead of a viewport per
 * tile), and clipped to the tile by `gl_ClipDistance` on the tile frustum's
 * four sides (`WEBGL_clip_cull_distance`). The mapping and that clipping
 * round differently before the rasteriser snaps vertices to its sub-pixel
 * grid. Measured at 64x64 x16: ArmReach-v0 bit for bit equal to one draw per
 * tile, LangReach-v0 9 of 65,536 pixels different (one pixel per tile on the
 * floor's far edge, in tiles whose right side is not the canvas edge).
 * SwiftShader's cost follows triangles, not draw calls, so this path saves
 * no CPU there (docs/benchmarks.md): opt-in (`instanced: true`).
 *
 * Used only when every sub-env has the same camera (one view matrix, so
 * one set of light uniforms), at most one geom is transparent (three.js
 * sorts transparent objects per camera; instances are not sorted) and the
 * context has `WEBGL_clip_cull_distance`.
 */
import { BufferGeometry, InstancedBufferAttribute, InstancedMesh, Group, Matrix3, Matrix4 } from 'three';
import type { Camera, Material, Mesh, Object3D, Scene, WebGLRenderer } from 'three';
import type { MujocoScene } from '../../scene/mujoco-scene.js';

/** Uniforms shared by every instanced material of one batch. */
interface TileUniforms {
  /** (tile width, tile height, canvas width, canvas height) in pixels. */
  lamkitGrid: { value: [number, number, number, number] };
  lamkitColumns: { value: number };
}

const VERTEX_HEAD = `
attribute mat3 lamkitNormalMatrix;
uniform vec4 lamkitGrid;
uniform int lamkitColumns;
`;

/** three.js's project_vertex with the instance's model-view matrix in place of `modelViewMatrix`, then the tile mapping. */
const PROJECT_VERTEX = `
vec4 mvPosition = vec4( transformed, 1.0 );
mvPosition = instanceMatrix * mvPosition;
gl_Position = projectionMatrix * mvPosition;
{
  vec2 tile = lamkitGrid.xy;
  vec2 canvas = lamkitGrid.zw;
  float column = float( gl_InstanceID % lamkitColumns );
  float row = float( gl_InstanceID / lamkitColumns );
  // GL pixels, origin bottom-left; tile row 0 at the top of the canvas.
  vec2 lo = vec2( column * tile.x, canvas.y - ( row + 1.0 ) * tile.y );
  // The tile's frustum sides, as a viewport per tile would clip: -w <= x, y <= w before the mapping.
  gl_ClipDistance[ 0 ] = gl_Position.w + gl_Position.x;
  gl_ClipDistance[ 1 ] = gl_Position.w - gl_Position.x;
  gl_ClipDistance[ 2 ] = gl_Position.w + gl_Position.y;
  gl_ClipDistance[ 3 ] = gl_Position.w - gl_Position.y;
  gl_Position.xy = gl_Position.xy * ( tile / canvas ) + ( ( 2.0 * lo + tile ) / canvas - 1.0 ) * gl_Position.w;
}
`;

/** three.js's defaultnormal_vertex (no tangents, no batching) with the instance's normal matrix in place of `normalMatrix`. */
const DEFAULTNORMAL_VERTEX = `
vec3 transformedNormal = objectNormal;
transformedNormal = lamkitNormalMatrix * transformedNormal;
#ifdef FLIP_SIDED
  transformedNormal = - transformedNormal;
#endif
`;


function instancedMaterial(source: Material, uniforms: TileUniforms): Material {
  const material = source.clone();
  material.onBeforeCompile = (shader) => {
    Object.assign(shader.uniforms, uniforms);
    shader.vertexShader = VERTEX_HEAD + shader.vertexShader
      .replace('#include <project_vertex>', PROJECT_VERTEX)
      .replace('#include <defaultnormal_vertex>', DEFAULTNORMAL_VERTEX);
  };
  // gl_ClipDistance (WEBGL_clip_cull_distance: SwiftShader has it); three.js reads `extensions` off any material.
  (material as Material & { extensions: { clipCullDistance: boolean; multiDraw: boolean } }).extensions = { clipCullDistance: true, multiDraw: false };
  material.customProgramCacheKey = () => 'lamkit-instanced-tiles';
  return material;
}

/** The instanced copy of one drawn geom. */
interface InstancedGeom {
  source: Object3D;
  mesh: InstancedMesh;
  normals: InstancedBufferAttribute;
}

/**
 * Instanced meshes mirroring a {@link MujocoScene}'s drawn geoms, for up to
 * `capacity` tiles, added (hidden) to `scene` beside the scene's own root.
 */
export class InstancedTiles {
  /** Whether the fast path applies (at most one transparent geom, `WEBGL_clip_cull_distance` present). */
  readonly usable: boolean;
  private readonly group = new Group();
  private readonly geoms: InstancedGeom[] = [];
  private readonly uniforms: TileUniforms = { lamkitGrid: { value: [1, 1, 1, 1] }, lamkitColumns: { value: 1 } };
  private readonly materials = new Map<Material, Material>();
  private readonly modelView = new Matrix4();
  private readonly normal = new Matrix3();

  private readonly clip: { CLIP_DISTANCE0_WEBGL: number } | null;

  constructor(private readonly mujoco: MujocoScene, private readonly scene: Scene, renderer: WebGLRenderer, readonly capacity: number) {
    const drawn = mujoco.objects.filter((o): o is Mesh => (o as Mesh).isMesh === true && o.visible);
    this.clip = renderer.getContext().getExtension('WEBGL_clip_cull_distance') as { CLIP_DISTANCE0_WEBGL: number } | null;
    this.usable = this.clip !== null && drawn.filter((o) => (o.material as Material).transparent).length <= 1;
    this.group.visible = false;
    this.group.matrixAutoUpdate = false;
    if (!this.usable) return;
    for (const source of drawn) {
      let material = this.materials.get(source.material as Material);
      if (!material) {
        material = instancedMaterial(source.material as Material, this.uniforms);
        this.materials.set(source.material as Material, material);
      }
      // Share the vertex buffers; add the per-instance normal matrices.
      const geometry = new BufferGeometry();
      for (const [name, attribute] of Object.entries(source.geometry.attributes)) geometry.setAttribute(name, attribute);
      geometry.setIndex(source.geometry.index);
      const normals = new InstancedBufferAttribute(new Float32Array(9 * capacity), 9);
      geometry.setAttribute('lamkitNormalMatrix', normals);
      const mesh = new InstancedMesh(geometry, material, capacity);
      mesh.frustumCulled = false;
      mesh.matrixAutoUpdate = false;
      this.group.add(mesh);
      this.geoms.push({ source, mesh, normals });
    }
    scene.add(this.group);
  }

  /**
   * Draws `n` tiles (only when {@link usable}): `poses(i)` syncs the MuJoCo scene to sub-env i (called
   * once per sub-env, in order), `camera` already placed; the canvas is
   * `canvasWidth x canvasHeight`, tiles `tileWidth x tileHeight`, `columns` per row.
   */
  draw(renderer: WebGLRenderer, camera: Camera, n: number, pose: (i: number) => void, tileWidth: number, tileHeight: number, columns: number, canvasWidth: number, canvasHeight: number): void {
    camera.updateMatrixWorld();
    for (let i = 0; i < n; i++) {
      pose(i);
      this.mujoco.root.updateMatrixWorld(true);
      for (const g of this.geoms) {
        // As WebGLRenderer.renderObject does for a single Mesh.
        this.modelView.multiplyMatrices(camera.matrixWorldInverse, g.source.matrixWorld);
        this.normal.getNormalMatrix(this.modelView);
        this.modelView.toArray(g.mesh.instanceMatrix.array, 16 * i);
        this.normal.toArray(g.normals.array, 9 * i);
      }
    }
    for (const g of this.geoms) {
      g.mesh.count = n;
      g.mesh.instanceMatrix.needsUpdate = true;
      g.normals.needsUpdate = true;
    }
    this.uniforms.lamkitGrid.value = [tileWidth, tileHeight, canvasWidth, canvasHeight];
    this.uniforms.lamkitColumns.value = columns;
    this.mujoco.root.visible = false;
    this.group.visible = true;
    const gl = renderer.getContext();
    const clip = this.clip!;
    for (let k = 0; k < 4; k++) gl.enable(clip.CLIP_DISTANCE0_WEBGL + k);
    try {
      renderer.render(this.scene, camera);
    } finally {
      for (let k = 0; k < 4; k++) gl.disable(clip.CLIP_DISTANCE0_WEBGL + k);
      this.mujoco.root.visible = true;
      this.group.visible = false;
    }
  }

  /** Releases the instanced meshes and their materials (vertex buffers belong to the MujocoScene). Safe to call twice. */
  dispose(): void {
    this.scene.remove(this.group);
    for (const g of this.geoms) {
      g.mesh.dispose();
      // Frees the instanced normals; the shared vertex buffers are re-uploaded on demand if the MujocoScene is still drawn.
      g.mesh.geometry.dispose();
    }
    for (const m of this.materials.values()) m.dispose();
    this.geoms.length = 0;
    this.materials.clear();
  }
}
