import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AsyncEnv, Env } from '../core/env.js';
import type { Policy } from '../core/policy.js';
import type { Space } from '../core/spaces/space.js';
import { Box } from '../core/spaces/box.js';
import { Discrete } from '../core/spaces/discrete.js';
import { textRanges } from '../core/spaces/text.js';
import { Rng } from '../core/rng.js';
import { runEpisodes, type EpisodeOutcome, type EpisodeStep } from '../core/run-episodes.js';
import { InvalidArgument, formatError, describeValue } from '../core/errors.js';
import { tuneAllocator } from '../core/tune-allocator.js';
import { DatasetWriter, type DatasetSpec, type DatasetWriterOptions } from './dataset-writer.js';
import { OffloadedWriter, startRecordWorker } from './offloaded-writer.js';
import { PerturbedPolicy } from './perturbed-policy.js';
import { INFO_PATH, readInfo, type FeatureInfo } from './lerobot-format.js';
import type { EpisodeData } from './episode-journal.js';
import { imageFeatures, imageParts, splitObservationInto, stateDimWithoutImages, type ImagePart } from './image-observations.js';
import { observationNames } from './observation-names.js';

/** Options of {@link recordEpisodes}. */
export interface RecordEpisodesOptions {
  /** Dataset directory: created, or appended to when it holds data of the same spaces. */
  out: string;
  /** Episodes to record (positive integer). */
  episodes: number;
  /** Episode k resets with `seed + k`; also seeds the action noise. Default 0. */
  seed?: number;
  /** Registered task id, stored in `info.json` (`lamkit.envId`). Default null. */
  envId?: string | null;
  /** The task in words (`meta/tasks.parquet`). Default: the env id, or 'task'. */
  task?: string;
  /** Frames per second; default `round(1 / env.unwrapped.dt)` when the env has `dt`, else 30. */
  fps?: number;
  /** Take the mode of the policy's distribution. Default true (demonstrations). */
  deterministic?: boolean;
  /** Gaussian noise std added to executed (Box) actions; the recorded `action` stays clean, the executed one is `action.executed`. Default 0. */
  actionNoiseStd?: number;
  /** Probability of executing a random action instead (recorded as `action.executed`). Default 0. */
  epsilon?: number;
  /** Names of discrete actions (index -> name), stored as `features.action.class_names`. Default `'0', '1', ...`. */
  actionNames?: readonly string[];
  /** Extra per-frame text features: name -> text for a step (e.g. the instruction). */
  text?: Record<string, (step: EpisodeStep) => string>;
  /** Stops recording after the current step; finished episodes are kept. */
  signal?: AbortSignal;
  /** Called after each episode is in the dataset (journaled), with its dataset index. */
  onEpisode?: (outcome: EpisodeOutcome, datasetIndex: number, steps: number) => void;
  /** Writer options (file size, compression, fsync per episode). */
  writer?: DatasetWriterOptions;
  /**
   * Statistics, Parquet encoding and commits on a worker thread (shared by
   * the process's recordings, see offloaded-writer.ts), so that on two or
   * more cores they overlap the env loop; each episode is still journaled
   * on the loop's thread before the next starts. Default true; false does
   * everything on the calling thread.
   */
  offload?: boolean;
}

/** What {@link recordEpisodes} did. */
export interface RecordResult {
  root: string;
  /** Outcomes of the episodes recorded now, in order. */
  episodes: EpisodeOutcome[];
  /** Dataset index of the first episode recorded now. */
  firstIndex: number;
  /** Episodes and frames in the dataset after recording. */
  totalEpisodes: number;
  totalFrames: number;
  aborted: boolean;
}

/**
 * Records episodes of any acting thing (a scripted expert, a checkpoint's
 * policy, random actions, a robot behind the bridge as an `AsyncEnv`) into
 * a LeRobot v3.0 dataset, on the shared `runEpisodes` loop. Every finished
 * episode is journaled before the next starts (it survives a kill); the
 * dataset is committed in files of the writer's size and on return.
 *
 * Observations are stored flattened as float32 `observation.state`
 * (camera images apart: a LeRobot `image` column `observation.<key>` each,
 * see image-observations.ts);
 * actions as float32 vectors (Box) or int64 (Discrete, MultiDiscrete,
 * MultiBinary). With noise or epsilon, `action` is the policy's clean
 * action and `action.executed` what the env got.
 */
export async function recordEpisodes(policy: Policy, env: Env<unknown, unknown> | AsyncEnv<unknown, unknown>, options: RecordEpisodesOptions): Promise<RecordResult> {
  // Episodes' arrays, journal records and the writer's pages are made and freed all the time: keep that memory mapped.
  await tuneAllocator();
  const seed = options.seed ?? 0;
  const perturbed = (options.actionNoiseStd ?? 0) > 0 || (options.epsilon ?? 0) > 0;
  const actor = new PerturbedPolicy(policy, { actionNoiseStd: options.actionNoiseStd, epsilon: options.epsilon, rng: new Rng(seed + 0x5eed) });
  const obsSpace = env.observationSpace;
  const actSpace = env.actionSpace;
  // Camera images (a Dict's uint8 [H, W, 3] parts) get an image column each; observation.state is the rest.
  const images = imageParts(obsSpace);
  const stateDim = stateDimWithoutImages(obsSpace);
  const action = actionLayout(actSpace);
  // Text parts of the observation (an instruction) also get a string column each, LeRobot's way of storing text.
  const textFns: Record<string, (step: EpisodeStep) => string> = { ...observationTextColumns(obsSpace), ...options.text };
  const textNames = Object.keys(textFns);
  const dt = (env as { unwrapped?: { dt?: unknown } }).unwrapped?.dt;
  const dtSeconds = typeof dt === 'number' && dt > 0 ? dt : null;
  const fps = options.fps ?? (dtSeconds ? Math.max(1, Math.round(1 / dtSeconds)) : 30);
  const task = options.task ?? options.envId ?? 'task';
  const existing = earlySpaceCheck(options.out, obsSpace, actSpace);
  // The env's named observation fields (metadata.observationFields) name observation.state's columns.
  const obsNames = images.length === 0 ? observationNames(env.metadata?.observationFields, stateDim) : null;
  // Appending: the dataset's columns decide. Clean episodes go into a dataset with `action.executed`
  // (executed = clean); perturbed ones cannot go into one without it.
  const executedColumn = existing ? 'action.executed' in existing : perturbed;
  if (perturbed && existing && !executedColumn) {
    throw new InvalidArgument(formatError(`Dataset(${options.out}).features`, "an action.executed column for perturbed actions (--action-noise / --epsilon)", 'a dataset recorded without perturbation', 'Record play data into its own dataset first, then append clean episodes to it (or merge them into it)'));
  }

  const offload = options.offload ?? true;
  // The writer thread loads while the first episode runs.
  if (offload) startRecordWorker();
  let writer: DatasetWriter | OffloadedWriter | null = null;
  const frames = new FrameBuffer(stateDim, action.dim, textNames, images);
  const outcomes: EpisodeOutcome[] = [];
  let firstIndex = -1;
  let steps = 0;
  try {
    const run = await runEpisodes(env, actor, {
      episodes: options.episodes,
      seed,
      deterministic: options.deterministic ?? true,
      signal: options.signal,
      // A signal is only seen when the event loop gets a turn; each turn costs ~1 ms of timer latency.
      yieldEvery: options.signal ? 4096 : undefined,
      keepEpisodes: false,
      onEpisodeStart: () => frames.clear(),
      onStep: (s) => {
        steps++;
        frames.reserve();
        splitObservationInto(obsSpace, images, s.obs, frames.stateBuffer, frames.length * stateDim, frames.imageBuffers, frames.length);
        frames.pushStep(actor.clean, s.action, s.reward, s.terminated, s.truncated, s.info.isSuccess, textNames.length === 0 ? NO_TEXT : textNames.map((n) => textFns[n](s)));
      },
      onEpisodeEnd: async (outcome) => {
        if (!writer) {
          // The features are fixed by the first episode (whether the task reports success) or by the dataset appended to.
          const features = spec(obsSpace, actSpace, action, existing ? 'next.success' in existing : outcome.success !== null, executedColumn, textNames, options.actionNames, obsNames);
          const datasetSpec: DatasetSpec = { fps, features, lamkit: { envId: options.envId ?? null, spaces: { observation: obsSpace.toJSON(), action: actSpace.toJSON() }, dtSeconds, textFeatures: textNames } };
          writer = offload ? await OffloadedWriter.open(options.out, datasetSpec, options.writer) : await DatasetWriter.open(options.out, datasetSpec, options.writer);
        }
        // The episode's arrays are fresh (FrameBuffer.episode): the offloaded writer may take them.
        const index = writer.addEpisode(frames.episode(task, outcome, executedColumn, writer.features));
        if (writer instanceof OffloadedWriter && writer.flushDue) await writer.flush();
        if (firstIndex < 0) firstIndex = index;
        outcomes.push(outcome);
        options.onEpisode?.(outcome, index, steps);
      },
    });
    const w = writer as DatasetWriter | OffloadedWriter | null;
    // The last commit's files are written and fsynced concurrently (see closeAsync).
    await w?.closeAsync();
    const info = w ? { e: w.totalEpisodes, f: w.totalFrames } : existsSync(join(options.out, INFO_PATH)) ? { e: readInfo(options.out).total_episodes, f: readInfo(options.out).total_frames } : { e: 0, f: 0 };
    return { root: options.out, episodes: outcomes, firstIndex: Math.max(firstIndex, 0), totalEpisodes: info.e, totalFrames: info.f, aborted: run.aborted };
  } finally {
    // After an error: commit what was recorded (a no-op after a normal close).
    await (writer as DatasetWriter | OffloadedWriter | null)?.closeAsync();
  }
}

const NO_TEXT: string[] = [];

/**
 * The string columns of an observation space's `Text` parts:
 * `observation.<key>` (`observation.text` for a whole `Text` space). The
 * flat `observation.state` keeps their charset indices too, so a dataset
 * reads back into the same flat observations.
 */
export function observationTextColumns(space: Space<unknown>): Record<string, (step: EpisodeStep) => string> {
  const out: Record<string, (step: EpisodeStep) => string> = {};
  for (const { key } of textRanges(space)) {
    out[`observation.${key || 'text'}`] = key ? (s) => (s.obs as Record<string, string>)[key] : (s) => s.obs as string;
  }
  return out;
}

interface ActionLayout {
  kind: 'float32' | 'int64';
  dim: number;
}

function actionLayout(space: Space<unknown>): ActionLayout {
  if (space instanceof Box) return { kind: 'float32', dim: space.flatDim };
  if (space instanceof Discrete) return { kind: 'int64', dim: 1 };
  if (space.kind === 'MultiDiscrete' || space.kind === 'MultiBinary') return { kind: 'int64', dim: space.flatDim };
  throw new InvalidArgument(formatError('recordEpisodes.env.actionSpace', 'a Box, Discrete, MultiDiscrete or MultiBinary action space', space.toString(), 'Record Dict/Tuple actions flattened by a wrapper'));
}

/** The per-frame features for these spaces (LeRobot names; lamkit's extra flags). */
export function spec(obs: Space<unknown>, act: Space<unknown>, layout: ActionLayout, success: boolean, executed: boolean, text: readonly string[], actionNames?: readonly string[], obsNames?: readonly string[] | null): DatasetSpec['features'] {
  const actionFeature: FeatureInfo = { dtype: layout.kind, shape: [layout.dim], names: null };
  if (act instanceof Discrete) actionFeature.class_names = actionNames ? [...actionNames] : Array.from({ length: act.n }, (_, i) => String(act.start + i));
  if (actionNames && !(act instanceof Discrete)) throw new InvalidArgument(formatError('recordEpisodes.actionNames', 'a Discrete action space', act.toString(), 'Omit actionNames'));
  if (actionNames && act instanceof Discrete && actionNames.length !== act.n) throw new InvalidArgument(formatError('recordEpisodes.actionNames', `${act.n} names`, describeValue(actionNames), 'Name every action'));
  const scalar = (dtype: string): FeatureInfo => ({ dtype, shape: [1], names: null });
  const features: DatasetSpec['features'] = {
    'observation.state': { dtype: 'float32', shape: [stateDimWithoutImages(obs)], names: obsNames ? [...obsNames] : null },
    ...imageFeatures(obs),
    action: actionFeature,
  };
  if (executed) features['action.executed'] = { ...actionFeature };
  Object.assign(features, { 'next.reward': scalar('float32'), 'next.done': scalar('bool'), 'next.terminated': scalar('bool'), 'next.truncated': scalar('bool') });
  if (success) features['next.success'] = scalar('bool');
  for (const t of text) features[t] = scalar('string');
  return features;
}

/** Checks an existing dataset's spaces against the env's before recording; returns its features (null: new dataset). */
function earlySpaceCheck(out: string, obs: Space<unknown>, act: Space<unknown>): Record<string, FeatureInfo> | null {
  if (!existsSync(join(out, INFO_PATH))) return null;
  const info = readInfo(out);
  const spaces = info.lamkit?.spaces;
  const want = JSON.stringify({ observation: obs.toJSON(), action: act.toJSON() });
  if (spaces && JSON.stringify(spaces) !== want) {
    throw new InvalidArgument(formatError(`Dataset(${out}).lamkit.spaces`, `this env's spaces (${obs.toString()} -> ${act.toString()})`, `${JSON.stringify(spaces.observation)} -> ${JSON.stringify(spaces.action)}`, 'Append only data of the same spaces; pass another --out for a new dataset'));
  }
  return info.features;
}

/** Growing per-frame buffers of the episode being recorded. */
class FrameBuffer {
  private cap = 64;
  length = 0;
  private state: Float32Array;
  private action: Float64Array;
  private executed: Float64Array;
  private reward = new Float32Array(64);
  private terminated = new Uint8Array(64);
  private truncated = new Uint8Array(64);
  private success = new Uint8Array(64);
  private texts: string[][];
  /** Image column -> `Uint8Array [capacity x H x W x 3]`. */
  readonly imageBuffers: Record<string, Uint8Array> = {};

  constructor(private readonly stateDim: number, private readonly actionDim: number, textNames: readonly string[], private readonly images: readonly ImagePart[] = []) {
    for (const p of images) this.imageBuffers[p.column] = new Uint8Array(this.cap * p.shape[0] * p.shape[1] * 3);
    this.state = new Float32Array(this.cap * stateDim);
    this.action = new Float64Array(this.cap * actionDim);
    this.executed = new Float64Array(this.cap * actionDim);
    this.texts = textNames.map(() => []);
  }

  clear(): void {
    this.length = 0;
    for (const t of this.texts) t.length = 0;
  }

  /** Makes room for one more frame (no allocation unless the buffers double). */
  reserve(): void {
    if (this.length === this.cap) this.grow();
  }

  /** `[capacity x stateDim]`: the observation of frame `length` is flattened at `length * stateDim`. */
  get stateBuffer(): Float32Array {
    return this.state;
  }

  pushStep(clean: ArrayLike<number>, executed: unknown, reward: number, terminated: boolean, truncated: boolean, success: unknown, texts: string[]): void {
    const t = this.length;
    const d = this.actionDim;
    for (let j = 0; j < d; j++) this.action[t * d + j] = clean[j];
    if (typeof executed === 'number') this.executed[t * d] = executed;
    else for (let j = 0; j < d; j++) this.executed[t * d + j] = (executed as ArrayLike<number>)[j];
    this.reward[t] = reward;
    this.terminated[t] = terminated ? 1 : 0;
    this.truncated[t] = truncated ? 1 : 0;
    this.success[t] = success === true || (typeof success === 'number' && success !== 0) ? 1 : 0;
    texts.forEach((s, i) => this.texts[i].push(s));
    this.length++;
  }

  episode(task: string, outcome: EpisodeOutcome, executedColumn: boolean, features: Record<string, FeatureInfo>): EpisodeData {
    const n = this.length;
    const d = this.actionDim;
    const actionOf = (src: Float64Array): Float32Array | Float64Array => {
      if (features.action.dtype !== 'float32') return src.slice(0, n * d);
      const out = new Float32Array(n * d);
      out.set(src.subarray(0, n * d));
      return out;
    };
    const done = new Uint8Array(n);
    for (let i = 0; i < n; i++) done[i] = this.terminated[i] | this.truncated[i];
    // An episode ended by the loop (outcome.truncated without env truncation) is truncated at its last frame.
    const truncated = this.truncated.slice(0, n);
    if (outcome.truncated && n > 0) (truncated[n - 1] = 1), (done[n - 1] = 1);
    const frames: EpisodeData['frames'] = {
      'observation.state': this.state.slice(0, n * this.stateDim),
      action: actionOf(this.action),
      'next.reward': this.reward.slice(0, n),
      'next.done': done,
      'next.terminated': this.terminated.slice(0, n),
      'next.truncated': truncated,
    };
    if (executedColumn) frames['action.executed'] = actionOf(this.executed);
    for (const p of this.images) frames[p.column] = this.imageBuffers[p.column].slice(0, n * p.shape[0] * p.shape[1] * 3);
    if ('next.success' in features) frames['next.success'] = this.success.slice(0, n);
    const textNames = Object.keys(features).filter((k) => features[k].dtype === 'string');
    textNames.forEach((name, i) => (frames[name] = this.texts[i].slice()));
    return { length: n, task, frames, return: outcome.return, success: outcome.success, seed: outcome.seed };
  }

  private grow(): void {
    this.cap *= 2;
    const g = <T extends Float32Array | Float64Array | Uint8Array>(a: T, w: number): T => {
      const b = new (a.constructor as new (n: number) => T)(this.cap * w);
      b.set(a);
      return b;
    };
    this.state = g(this.state, this.stateDim);
    this.action = g(this.action, this.actionDim);
    this.executed = g(this.executed, this.actionDim);
    this.reward = g(this.reward, 1);
    this.terminated = g(this.terminated, 1);
    this.truncated = g(this.truncated, 1);
    this.success = g(this.success, 1);
    for (const p of this.images) this.imageBuffers[p.column] = g(this.imageBuffers[p.column], p.shape[0] * p.shape[1] * 3);
  }
}
