// three.js scenes built from MuJoCo models (browser-safe: imports only three).
export { MujocoScene } from './mujoco-scene.js';
export type { MujocoSceneOptions, GeomPoseSource } from './mujoco-scene.js';
export { describeModel, GEOM_TYPE } from './scene-description.js';
export type { SceneDescription, GeomDescription, MeshDescription, CameraDescription, GeomShape, ModelLike } from './scene-description.js';
export { geometryForGeom } from './geom-geometry.js';
export type { GeometryDetail } from './geom-geometry.js';
export { writeGeomPoses, mat2QuatInto, POSE_STRIDE } from './geom-poses.js';
export { litScene } from './lit-scene.js';
export type { LitSceneOptions } from './lit-scene.js';
export { lookAtCamera, defaultFreeCamera, applyCameraPose } from './camera-pose.js';
export type { CameraPose } from './camera-pose.js';
