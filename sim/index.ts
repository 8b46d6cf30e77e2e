// Public API of sim/ (filled in as the area lands).
// Physics (MuJoCo).
export { loadMujoco, loadedMujoco, type Mujoco } from './load-mujoco.js';
export { MujocoWorld, type ModelSource, type ObjectKind, type Pose, type WorldSnapshot } from './mujoco-world.js';
export { mat2Quat } from './mat2quat.js';
export { clearModelCache } from './model-cache.js';
export { SimLoadError } from './sim-load-error.js';
export type { ModelAssets } from './model-files.js';
export { REACHER_XML } from './assets/reacher.js';
export { INVERTED_PENDULUM_XML } from './assets/inverted-pendulum.js';
export { armXml, ARM_JOINTS, ARM_HOME_QPOS, ARM_PUSHER_RADIUS, ARM_PUCK_RADIUS, ARM_PUCK_HALF_HEIGHT, type ArmXmlOptions } from './assets/arm.js';
// Scenes (three.js), the live viewer and rgb_array rendering (engineer H3b).
export * from './scene/index.js';
export * from './viewer/index.js';
export * from './render/index.js';
