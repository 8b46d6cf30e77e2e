import { BoxGeometry, BufferAttribute, BufferGeometry, CapsuleGeometry, CylinderGeometry, PlaneGeometry, SphereGeometry } from 'three';
import type { GeomDescription, MeshDescription } from './scene-description.js';

/** Tessellation of curved shapes (segments around a circle). */
export interface GeometryDetail {
  /** Segments around curved surfaces; default 24. */
  radialSegments?: number;
}

/**
 * A three.js geometry in the geom's own MuJoCo frame, so that the geom's
 * object matrix is exactly MuJoCo's `(geom_xmat, geom_xpos)`.
 *
 * three.js builds capsules and cylinders along its Y axis; MuJoCo's lie
 * along the geom's Z axis, so those geometries are rotated by +pi/2 about X
 * here, once (FINDINGS.md). Ellipsoids are spheres scaled per axis; planes
 * already lie in the XY plane with a +Z normal, as in MuJoCo.
 *
 * @returns the geometry, or `null` for shapes that are not drawn.
 */
export function geometryForGeom(geom: GeomDescription, meshes: readonly MeshDescription[], detail: GeometryDetail = {}): BufferGeometry | null {
  const seg = detail.radialSegments ?? 24;
  const [s0, s1, s2] = geom.size;
  switch (geom.shape) {
    case 'plane':
      return new PlaneGeometry(2 * s0, 2 * s1);
    case 'sphere':
      return new SphereGeometry(s0, seg, Math.max(8, seg >> 1));
    case 'ellipsoid':
      return new SphereGeometry(1, seg, Math.max(8, seg >> 1)).scale(s0, s1, s2);
    case 'capsule':
      return new CapsuleGeometry(s0, 2 * s1, Math.max(4, seg >> 2), seg).rotateX(Math.PI / 2);
    case 'cylinder':
      return new CylinderGeometry(s0, s0, 2 * s1, seg).rotateX(Math.PI / 2);
    case 'box':
      return new BoxGeometry(2 * s0, 2 * s1, 2 * s2);
    case 'mesh': {
      const mesh = meshes[geom.meshIndex];
      if (!mesh) return null;
      return meshGeometry(mesh);
    }
    default:
      return null;
  }
}

/** Flat-shaded geometry from a MuJoCo mesh (vertices and triangle indices). */
function meshGeometry(mesh: MeshDescription): BufferGeometry {
  const indexed = new BufferGeometry();
  indexed.setAttribute('position', new BufferAttribute(Float32Array.from(mesh.vertices), 3));
  indexed.setIndex(Array.from(mesh.faces));
  // Non-indexed so each face gets its own normal (MuJoCo meshes are mostly convex, faceted parts).
  const flat = indexed.toNonIndexed();
  indexed.dispose();
  flat.computeVertexNormals();
  return flat;
}
