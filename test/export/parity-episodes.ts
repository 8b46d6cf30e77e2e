import assert from 'node:assert/strict';
import type { Env } from '../../src/core/env.js';
import type { Policy, ActOptions } from '../../src/core/policy.js';
import type { ActionBatch } from '../../src/core/vector-env.js';
import { runEpisodes } from '../../src/core/run-episodes.js';
import { ActionCodec } from '../../agents/policies/action-codec.js';

/** Observations recorded from lamkit's own policy with what it answered: the reference of the parity tests. */
export interface RecordedSteps {
  obsDim: number;
  /** `[steps x obsDim]` raw observations. */
  obs: Float32Array;
  /** 1 at each episode's first step. */
  episodeStart: Uint8Array;
  /** `[steps x actDim]` deterministic env actions. */
  actions: Float64Array;
  /** `V(s)` before each action. */
  values: Float64Array;
}

/**
 * Drives `env` with `policy` (deterministic) for `steps` steps and records,
 * per step, the observation, lamkit's action and its value (asked first:
 * `value` leaves sequence histories as they are).
 */
export async function recordSteps(env: Env, policy: Policy & { value(obs: Float32Array): Float64Array }, steps: number, seed: number): Promise<RecordedSteps> {
  const obsDim = policy.observationSpace.flatDim;
  const actDim = new ActionCodec(policy.actionSpace).actDim;
  const out: RecordedSteps = { obsDim, obs: new Float32Array(steps * obsDim), episodeStart: new Uint8Array(steps), actions: new Float64Array(steps * actDim), values: new Float64Array(steps) };
  let t = 0;
  let start = false;
  const recorder: Policy = {
    observationSpace: policy.observationSpace,
    actionSpace: policy.actionSpace,
    resetEpisode(i: number) {
      policy.resetEpisode?.(i);
      start = true;
    },
    act(obs: Float32Array, options?: ActOptions): ActionBatch {
      out.values[t] = policy.value(obs)[0];
      const a = policy.act(obs, options) as ActionBatch;
      out.obs.set(obs, t * obsDim);
      out.episodeStart[t] = start ? 1 : 0;
      for (let j = 0; j < actDim; j++) out.actions[t * actDim + j] = Number(a[j]);
      start = false;
      t++;
      return a;
    },
  };
  await runEpisodes(env, recorder, { maxSteps: steps, seed, deterministic: true });
  return out;
}

/** Largest `|a - b| / max(1, |b|)`: the tolerance is absolute for values of magnitude <= 1 and relative above. */
export function maxScaledError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

/** Stated tolerance of the parity claims: |onnx - lamkit| <= 1e-5 * max(1, |lamkit|). */
export const PARITY_TOL = 1e-5;

/** Argmax identical (categorical), Gaussian action and value within {@link PARITY_TOL} (scaled). */
export function assertParity(got: { actions: Float64Array; values: Float64Array }, rec: { actions: Float64Array; values: Float64Array }, discrete: boolean, what: string): void {
  if (discrete) {
    const differ = rec.actions.reduce((n, a, i) => n + (a === got.actions[i] ? 0 : 1), 0);
    assert.equal(differ, 0, `${what}: argmax differs on ${differ} of ${rec.actions.length} steps`);
  } else {
    const err = maxScaledError(got.actions, rec.actions);
    assert.ok(err <= PARITY_TOL, `${what}: Gaussian action error ${err}`);
  }
  const err = maxScaledError(got.values, rec.values);
  assert.ok(err <= PARITY_TOL, `${what}: value error ${err}`);
}

