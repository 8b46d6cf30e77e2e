import { register, registeredIds, type EnvRegistration } from '../../src/registry/registry.js';
import { loadMujoco } from '../../sim/load-mujoco.js';
import { Reacher, type ReacherOptions } from './reacher.js';
import { InvertedPendulum, InvertedPendulumDamped, type InvertedPendulumOptions } from './inverted-pendulum.js';
import { ArmReach, ArmReachReversed, type ArmReachOptions } from './arm-reach.js';
import { ArmPush, ArmPushDisc, type ArmPushOptions } from './arm-push.js';
import { LangReach, type LangReachOptions } from './lang-reach.js';

/** Loads MuJoCo's WASM module (once per process) so `make` can build the task synchronously. */
const prepare = (): Promise<void> => loadMujoco().then(() => undefined);

/**
 * Registers the MuJoCo tasks. Importing this module is cheap (no WASM load):
 * each registration's `prepare` loads MuJoCo, so build them with
 * `await makeAsync(id)` (or `await loadMujoco()` before `make`). Worker
 * threads import it (`module`) to rebuild the envs.
 */
const specs: EnvRegistration[] = [
  {
    id: 'Reacher-v5',
    entryPoint: (kwargs) => new Reacher(kwargs as ReacherOptions),
    maxEpisodeSteps: 50,
    rewardThreshold: -3.75,
    module: import.meta.url,
    prepare,
  },
  {
    id: 'InvertedPendulum-v5',
    entryPoint: (kwargs) => new InvertedPendulum(kwargs as InvertedPendulumOptions),
    maxEpisodeSteps: 1000,
    rewardThreshold: 950,
    module: import.meta.url,
    prepare,
  },
  {
    // Changed dynamics (10x joint damping) for reward transfer; otherwise InvertedPendulum-v5.
    id: 'InvertedPendulum-damped-v0',
    entryPoint: (kwargs) => new InvertedPendulumDamped(kwargs as InvertedPendulumOptions),
    maxEpisodeSteps: 1000,
    rewardThreshold: 950,
    module: import.meta.url,
    prepare,
  },
  {
    // 2 s at dt 0.04 s; the scripted expert needs about 15 steps.
    id: 'ArmReach-v0',
    entryPoint: (kwargs) => new ArmReach(kwargs as ArmReachOptions),
    maxEpisodeSteps: 50,
    module: import.meta.url,
    prepare,
  },
  {
    // Changed dynamics (the shoulder's yaw motor reversed) for reward transfer; otherwise ArmReach-v0.
    id: 'ArmReach-reversed-v0',
    entryPoint: (kwargs) => new ArmReachReversed(kwargs as ArmReachOptions),
    maxEpisodeSteps: 50,
    module: import.meta.url,
    prepare,
  },
  {
    // 6 s at dt 0.04 s; the scripted expert needs at most about 125 steps.
    id: 'ArmPush-v0',
    entryPoint: (kwargs) => new ArmPush(kwargs as ArmPushOptions),
    maxEpisodeSteps: 150,
    module: import.meta.url,
    prepare,
  },
  {
    // A larger, heavier disc instead of the puck; otherwise ArmPush-v0 (lamkit-base's related pretraining task; ArmPush-v0 is held out).
    id: 'ArmPushDisc-v0',
    entryPoint: (kwargs) => new ArmPushDisc(kwargs as ArmPushOptions),
    maxEpisodeSteps: 150,
    module: import.meta.url,
    prepare,
  },
  {
    // Issue 15: the instruction names one of several coloured objects; 2 s at dt 0.04 s as ArmReach-v0.
    id: 'LangReach-v0',
    entryPoint: (kwargs) => new LangReach(kwargs as LangReachOptions),
    maxEpisodeSteps: 50,
    module: import.meta.url,
    prepare,
  },
  {
    // LangReach-v0 with the arm starting folded back over its base (LANG_REACH_CLEAR_QPOS): v0's start posture hides
    // the target from the camera on the first frame in 8-13% of scenes; here the camera sees every object.
    id: 'LangReach-v1',
    entryPoint: (kwargs) => new LangReach({ startPose: 'clear', ...(kwargs as LangReachOptions) }),
    maxEpisodeSteps: 50,
    module: import.meta.url,
    prepare,
  },
];

for (const spec of specs) {
  if (!registeredIds().includes(spec.id)) register(spec);
}
