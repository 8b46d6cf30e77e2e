import type { RolloutBuffer } from '../buffers/rollout-buffer.js';
import { FileFormatError, InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import { packMessage, unpackMessage, type PackedArray } from './binary-message.js';

/** Format tag and version of rollout messages. */
const FORMAT = 'lamkit-rollout/1';

/** What a worker says about a rollout besides its arrays. */
export interface RolloutMeta {
  workerId: string;
  /** This run of the worker process (a restarted worker with the same id is a new instance). */
  instance: string;
  /** The worker's count of rollouts, from 0 (with `workerId`, the rollout's identity). */
  seq: number;
  /** The weights version it was collected with (the learner's update count then). */
  policyVersion: number;
  /** The learner instance that published those weights (a restarted learner drops other instances' rollouts). */
  learnerId: string;
  envId: string;
  /** Seed of the worker's env resets and action sampling. */
  seed: number;
  /** Episodes that finished during the rollout. */
  episodes: Array<{ return: number; length: number; success?: number }>;
  /** Seconds the worker spent collecting it. */
  collectSeconds: number;
}

/** The buffer fields a rollout carries (`rawObs` only when observations are normalized; else it equals `obs`). */
const FIELDS = ['obs', 'actions', 'logProbs', 'values', 'envRewards', 'terminated', 'truncated', 'valid', 'episodeStarts', 'lastRawObs'] as const;

/** Packs a worker's collected rollout (its {@link RolloutBuffer} and the value after its last step) into one message. */
export function encodeRollout(meta: RolloutMeta, b: RolloutBuffer, lastValues: Float64Array, withRawObs: boolean): Uint8Array {
  const arrays: Record<string, Float32Array | Float64Array | Uint8Array> = { lastValues };
  for (const f of FIELDS) arrays[f] = b[f];
  if (withRawObs) arrays.rawObs = b.rawObs;
  return packMessage({ format: FORMAT, ...meta, numSteps: b.numSteps, numEnvs: b.numEnvs, obsDim: b.obsDim, actDim: b.actDim }, arrays);
}

/**
 * Unpacks a rollout into the learner's buffer `into` (same shape, else a
 * `FileFormatError` saying which) and returns its meta and the value after
 * its last step. `rewards` gets the env's rewards; `rawObs` comes from `obs`
 * when the worker did not send it.
 */
export function decodeRolloutInto(bytes: Uint8Array, into: RolloutBuffer, where: string): { meta: RolloutMeta; lastValues: Float64Array } {
  const r = readRollout(bytes, into, 1, where);
  return { meta: r.meta, lastValues: r.place(0) };
}

/** A rollout message checked against the learner's buffer, not yet copied into it (see {@link readRollout}). */
export interface ReadRollout {
  meta: RolloutMeta;
  /**
   * Copies the rollout into sub-envs `[slot x n, (slot + 1) x n)` of the
   * learner's buffer (n = the rollout's numEnvs), every step row, and
   * returns the value after its last step, `Float64Array [n]`.
   */
  place(slot: number): Float64Array;
}

/**
 * Checks a rollout message against the learner's buffer `into` when one
 * update is assembled from `parts` rollouts of the same weights (`lamkit
 * train --rollouts-per-update`): same steps, observation and action sizes,
 * and `into.numEnvs / parts` sub-envs, else a `FileFormatError` saying
 * which. The sub-envs are independent, so GAE over the assembled buffer
 * equals GAE over each rollout alone: the update is exact.
 */
export function readRollout(bytes: Uint8Array, into: RolloutBuffer, parts: number, where: string): ReadRollout {
  const { header, arrays } = unpackMessage(bytes, where);
  if (header.format !== FORMAT) throw new FileFormatError(formatError(`${where}.format`, `'${FORMAT}'`, describeValue(header.format), 'Run workers and the learner from the same lamkit version'));
  const n = into.numEnvs / parts;
  for (const k of ['numSteps', 'numEnvs', 'obsDim', 'actDim'] as const) {
    const want = k === 'numEnvs' ? n : into[k];
    if (header[k] !== want) {
      const wanted = k === 'numEnvs' && parts > 1 ? `${n} (the learner's numEnvs ${into.numEnvs} / --rollouts-per-update ${parts})` : `${want} (the learner's)`;
      throw new FileFormatError(formatError(`${where}.${k}`, wanted, `${describeValue(header[k])} from worker ${describeValue(header.workerId)}`, k === 'numEnvs' ? "Start workers without --num-envs (they take the learner's share) or with the learner's" : 'Point the worker at the task the learner trains'));
    }
  }
  const N = into.numEnvs;
  const T = into.numSteps;
  const get = (name: string, target: Float32Array | Float64Array | Uint8Array, rows: number, width: number): PackedArray => {
    const a = arrays.get(name);
    if (!a || a.length !== rows * n * width || a.constructor !== target.constructor) {
      throw new FileFormatError(formatError(`${where}.${name}`, `${target.constructor.name}(${rows * n * width})`, a ? `${a.constructor.name}(${a.length})` : 'nothing', 'Run workers and the learner from the same lamkit version'));
    }
    return a;
  };
  // Every array is checked before anything is copied: a malformed rollout leaves the buffer as it was.
  const { obsDim, actDim } = into;
  const plan: Array<[PackedArray, Float32Array | Float64Array | Uint8Array, number, number]> = [];
  const add = (name: string, target: Float32Array | Float64Array | Uint8Array, rows: number, width: number): void => {
    plan.push([get(name, target, rows, width), target, rows, width]);
  };
  add('obs', into.obs, T, obsDim);
  add(arrays.has('rawObs') ? 'rawObs' : 'obs', into.rawObs, T, obsDim);
  add('lastRawObs', into.lastRawObs, 1, obsDim);
  add('actions', into.actions, T, actDim);
  for (const f of ['logProbs', 'values', 'envRewards', 'terminated', 'truncated', 'valid', 'episodeStarts'] as const) add(f, into[f], T, 1);
  add('envRewards', into.rewards, T, 1);
  const lastValues = get('lastValues', new Float64Array(0), 1, 1) as Float64Array;
  const episodes = Array.isArray(header.episodes) ? (header.episodes as RolloutMeta['episodes']).filter((e) => e !== null && typeof e === 'object' && Number.isFinite(e.return) && Number.isFinite(e.length)) : [];
  const meta: RolloutMeta = {
    workerId: String(header.workerId),
    instance: String(header.instance),
    seq: Number(header.seq),
    policyVersion: Number(header.policyVersion),
    learnerId: String(header.learnerId),
    envId: String(header.envId),
    seed: Number(header.seed),
    episodes,
    collectSeconds: Number(header.collectSeconds),
  };
  const place = (slot: number): Float64Array => {
    if (!Number.isInteger(slot) || slot < 0 || slot >= parts) throw new InvalidArgument(formatError(`${where}.place.slot`, `an integer in [0, ${parts})`, describeValue(slot)));
    for (const [src, target, rows, width] of plan) {
      if (parts === 1) {
        target.set(src as never);
        continue;
      }
      const row = n * width;
      for (let t = 0; t < rows; t++) target.set(src.subarray(t * row, (t + 1) * row) as never, (t * N + slot * n) * width);
    }
    return Float64Array.from(lastValues);
  };
  return { meta, place };
}
