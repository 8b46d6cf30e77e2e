import { INVERTED_PENDULUM_XML } from './inverted-pendulum.js';

/** Joint damping of the damped variant (N s/m on the slider, N m s/rad on the hinge): 10x the original's 1. */
export const DAMPED_JOINT_DAMPING = 10;

/**
 * MJCF of InvertedPendulum-damped-v0: {@link INVERTED_PENDULUM_XML} with ten
 * times the joint damping, everything else (spaces, masses, motor, time
 * step, termination) unchanged. It exists for reward transfer (Fu et al.
 * 2018, section 7.2: a reward learned under one dynamics trains a policy
 * under another; issue 14). The change matters: a PPO expert of
 * InvertedPendulum-v5 that balances 1000 steps there kept the pole up for
 * 335 steps on average here (10 episodes, seed 1; a 3x heavier pole, by
 * contrast, did not bother it at all).
 */
export const INVERTED_PENDULUM_DAMPED_XML = [
  ['<mujoco model="inverted_pendulum">', '<mujoco model="inverted_pendulum_damped">'],
  ['<joint armature="0" damping="1" limited="true"/>', `<joint armature="0" damping="${DAMPED_JOINT_DAMPING}" limited="true"/>`],
].reduce((xml, [from, to]) => replaceOnce(xml, from, to), INVERTED_PENDULUM_XML);

function replaceOnce(text: string, from: string, to: string): string {
  // The base model is ours: a missing anchor is a bug here, not user input.
  if (text.split(from).length !== 2) throw new Error(`inverted-pendulum-damped: the base model no longer holds ${from} exactly once`);
  return text.replace(from, to);
}
