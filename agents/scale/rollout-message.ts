import type { RolloutBuffer } from '../buffers/rollout-buffer.js';
import { FileFormatError, formatError, describeValue } from '../../src/core/errors.js';
import { packMessage, unpackMessage } from './binary-message.js';

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
  const { header, arrays } = unpackMessage(bytes, where);
  if (header.format !== FORMAT) throw new FileFormatError(formatError(`${where}.format`, `'${FORMAT}'`, describeValue(header.format), 'Run workers and the learner from the same lamkit version'));
  for (const k of ['numSteps', 'numEnvs', 'obsDim', 'actDim'] as const) {
    if (header[k] !== into[k]) {
      throw new FileFormatError(formatError(`${where}.${k}`, `${into[k]} (the learner's)`, `${describeValue(header[k])} from worker ${describeValue(header.workerId)}`, k === 'numEnvs' ? "Start workers without --num-envs (they take the learner's) or with the learner's" : 'Point the worker at the task the learner trains'));
    }
  }
  const take = (name: string, target: Float32Array | Float64Array | Uint8Array): void => {
    const a = arrays.get(name);
    if (!a || a.length !== target.length || a.constructor !== target.constructor) {
      throw new FileFormatError(formatError(`${where}.${name}`, `${target.constructor.name}(${target.length})`, a ? `${a.constructor.name}(${a.length})` : 'nothing', 'Run workers and the learner from the same lamkit version'));
    }
    target.set(a as never);
  };
  for (const f of FIELDS) take(f, into[f]);
  take(arrays.has('rawObs') ? 'rawObs' : 'obs', into.rawObs);
  into.rewards.set(into.envRewards);
  const lastValues = new Float64Array(into.numEnvs);
  take('lastValues', lastValues);
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
  return { meta, lastValues };
}
