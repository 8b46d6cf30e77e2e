import type { Env } from '../../core/env.js';
import { ArmReach } from '../../../envs/mujoco/arm-reach.js';
import { ArmPush } from '../../../envs/mujoco/arm-push.js';
import { Reacher } from '../../../envs/mujoco/reacher.js';
import { InvertedPendulum } from '../../../envs/mujoco/inverted-pendulum.js';

/** A MuJoCo task the in-browser loop can build without the registry (which reaches Node's worker threads). */
export interface InBrowserTask {
  create(): Env<unknown, unknown>;
  /** The registration's time limit (envs/mujoco/register.ts). */
  maxEpisodeSteps: number;
}

/** The MuJoCo tasks of envs/mujoco/register.ts, built directly (MuJoCo must be loaded first). */
export const IN_BROWSER_TASKS: Record<string, InBrowserTask> = {
  'ArmReach-v0': { create: () => new ArmReach() as unknown as Env<unknown, unknown>, maxEpisodeSteps: 50 },
  'ArmPush-v0': { create: () => new ArmPush() as unknown as Env<unknown, unknown>, maxEpisodeSteps: 150 },
  'Reacher-v5': { create: () => new Reacher() as unknown as Env<unknown, unknown>, maxEpisodeSteps: 50 },
  'InvertedPendulum-v5': { create: () => new InvertedPendulum() as unknown as Env<unknown, unknown>, maxEpisodeSteps: 1000 },
};
