import type { Env } from '../core/env.js';
import type { RobotHandler, RobotStep, SafeActionReason } from './robot-client.js';

/** A `RobotHandler` that also counts the safe-action interventions, by reason. */
export interface EnvRobotHandler extends RobotHandler {
  readonly safeActions: Record<SafeActionReason, number>;
}

/**
 * Turns a simulated `Env` into a robot (what `lamkit sim-robot` runs): reset
 * and step map to the env's, observations are flattened with the env's
 * observation space. A simulated robot does not move between ticks, so the
 * safe action is only counted, not stepped.
 *
 * `forwardInfo` names `info` fields (numbers, booleans, strings) sent with each
 * step, e.g. `['isSuccess']`; steps that carry info go as JSON, not binary.
 *
 * The returned `obs` is a scratch `Float32Array [obsDim]` reused by the next
 * call (the client copies it into the outgoing frame at once).
 */
export function envRobotHandler(env: Env<unknown, unknown>, options: { forwardInfo?: readonly string[] } = {}): EnvRobotHandler {
  const keys = options.forwardInfo ?? [];
  const obs = new Float32Array(env.observationSpace.flatDim);
  const out: RobotStep = { obs, reward: 0, terminated: false, truncated: false };
  const safeActions: Record<SafeActionReason, number> = { watchdog: 0, disconnect: 0, estop: 0, episode_end: 0 };
  return {
    safeActions,
    reset(seed) {
      const r = env.reset(seed === undefined ? {} : { seed });
      env.observationSpace.flattenInto(r.obs, obs, 0);
      out.reward = 0;
      out.terminated = false;
      out.truncated = false;
      return out;
    },
    act(action) {
      const r = env.step(action);
      env.observationSpace.flattenInto(r.obs, obs, 0);
      out.reward = r.reward;
      out.terminated = r.terminated;
      out.truncated = r.truncated;
      out.info = undefined;
      for (const k of keys) {
        const v = r.info[k];
        if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') (out.info ??= {})[k] = v;
      }
      return out;
    },
    applySafeAction(_action, reason) {
      safeActions[reason]++;
    },
  };
}
