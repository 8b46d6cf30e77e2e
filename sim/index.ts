// Public API of sim/ (filled in as the area lands).
// Physics (MuJoCo).
export { loadMujoco, loadedMujoco, type Mujoco } from './load-mujoco.js';
export { MujocoWorld, mat2Quat, type ModelSource, type ObjectKind, type Pose, type WorldSnapshot } from './mujoco-world.js';
export { SimLoadError } from './sim-load-error.js';
export type { ModelAssets } from './model-files.js';
export { REACHER_XML } from './assets/reacher.js';
export { INVERTED_PENDULUM_XML } from './assets/inverted-pendulum.js';
// Scenes (three.js), the live viewer and rgb_array rendering (engineer H3b).
export * from './scene/index.js';
export * from './viewer/index.js';
export * from './render/index.js';
