import type { ActionBatch, VectorEnv } from '../../src/core/vector-env.js';

/** Copies of everything a vector env returned over a rollout (the env reuses its arrays). */
export interface Trajectory {
  obs: number[][];
  rewards: number[][];
  terminated: number[][];
  truncated: number[][];
  /** Per step: null, or the episode stats rows (r, l, success) where mask = 1. */
  episodes: Array<Array<{ env: number; r: number; l: number; success: number }> | null>;
}

/** Resets with `seed`, then steps `steps` times with `actionsAt(step)`, copying every result. */
export async function rollout(vec: VectorEnv, seed: number, steps: number, actionsAt: (step: number) => ActionBatch): Promise<Trajectory> {
  const out: Trajectory = { obs: [], rewards: [], terminated: [], truncated: [], episodes: [] };
  const r0 = await vec.reset({ seed });
  out.obs.push(Array.from(r0.obs));
  for (let s = 0; s < steps; s++) {
    const r = await vec.step(actionsAt(s));
    out.obs.push(Array.from(r.obs));
    out.rewards.push(Array.from(r.rewards));
    out.terminated.push(Array.from(r.terminated));
    out.truncated.push(Array.from(r.truncated));
    const ep = r.info.episode;
    out.episodes.push(
      ep ? Array.from(ep.mask).flatMap((m, env) => (m === 1 ? [{ env, r: ep.r[env], l: ep.l[env], success: ep.success[env] }] : [])) : null,
    );
  }
  return out;
}
