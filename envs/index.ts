// Public API of envs/: importing it registers the built-in tasks (cheap: no WASM, no I/O).
import './classic/register.js';
import './mujoco/register.js';
import './command/register.js';

export { CartPole, type CartPoleOptions } from './classic/cart-pole.js';
export { Pendulum, type PendulumOptions, angleNormalize } from './classic/pendulum.js';
// MuJoCo tasks (loading MuJoCo is deferred to each registration's `prepare`: use makeAsync).
export { MujocoEnv, type MujocoAction, type MujocoEnvOptions, type Float64Box } from './mujoco/mujoco-env.js';
export { Reacher, type ReacherOptions } from './mujoco/reacher.js';
export { InvertedPendulum, type InvertedPendulumOptions } from './mujoco/inverted-pendulum.js';
export { ArmEnv, ARM_DOF, type ArmEnvOptions } from './mujoco/arm-env.js';
export { ArmReach, ArmReachReversed, ARM_REACH_OBS, ARM_REACH_REVERSED_GEARS, type ArmReachOptions } from './mujoco/arm-reach.js';
export { ArmPush, ArmPushDisc, ARM_PUSH_OBS, ARM_PUSH_DISC_RADIUS, ARM_PUSH_DISC_MASS, type ArmPushOptions } from './mujoco/arm-push.js';
export { ArmIk, type ArmIkOptions } from './mujoco/arm-ik.js';
export { ArmExpert, type ArmExpertOptions } from './mujoco/arm-expert.js';
export { ArmReachExpert, ArmReachReversedExpert, type ArmReachExpertOptions } from './mujoco/arm-reach-expert.js';
export { ArmPushExpert, ArmPushDiscExpert, type ArmPushExpertOptions } from './mujoco/arm-push-expert.js';
// Instruction-following tasks (issue #15).
export { CommandAvatar, COMMAND_AVATAR_STATE, COMMAND_AVATAR_MAX_CHARS, type CommandAvatarOptions, type CommandAvatarObs } from './command/command-avatar.js';
export { CommandAvatarExpert } from './command/command-avatar-expert.js';
export { LangReach, LANG_REACH_CAMERA, LANG_REACH_OBJECTS, LANG_REACH_COLOURS, LANG_REACH_SHAPES, LANG_REACH_VERBS, LANG_REACH_MAX_CHARS, LANG_REACH_CLEAR_QPOS, LANG_REACH_IDS, LANG_REACH_SEEN_PIXELS, LANG_REACH_OBJECT_HALF, langReachObjectPixels, langReachImagePoint, langReachPixelsNear, type LangReachOptions, type LangReachObs } from './mujoco/lang-reach.js';
export { makeImageVec, type MakeImageVecOptions } from './make-image-vec.js';
export { makeImageEnv, ImageObservationEnv } from './make-image-env.js';
export { LangReachExpert, type LangReachExpertOptions } from './mujoco/lang-reach-expert.js';
export { COMMAND_ACTIONS, CORES as COMMAND_CORES, phrasings as commandPhrasings, type CommandAction, type PhrasingSplit } from './command/phrasings.js';
