import type { Space } from '../core/spaces/space.js';
import { Box } from '../core/spaces/box.js';
import { Dict } from '../core/spaces/dict.js';
import type { ActionBatch, VectorEnv, VectorResetArgs, VectorResetResult, VectorStepResult } from '../core/vector-env.js';
import { InvalidArgument, InvalidObservation, formatError, describeValue } from '../core/errors.js';

/** A batch of RGB images: `data` is `Uint8Array [shape[0] x shape[1] x shape[2] x shape[3]]` = `[n x H x W x C]`, rows top to bottom. */
export interface ImageBatch {
  data: Uint8Array;
  shape: readonly [number, number, number, number];
}

/**
 * What draws the sub-envs' current states (e.g. `BatchedSceneRenderer` over
 * the sub-envs' MuJoCo worlds, or a robot's cameras): called after every
 * vector `reset`/`step`, when the sub-envs hold the states their
 * observations describe.
 */
export interface ImageBatchSource {
  /** Renders every sub-env's current state. The returned data may be reused by the next call. */
  render(): Promise<ImageBatch>;
  /** Releases the source (the wrapper's `close()` calls it). Idempotent. */
  close?(): Promise<void>;
}

/** Options of {@link AddImageObservation}. */
export interface AddImageObservationOptions {
  /** Image height and width in pixels (3 channels): the observation space's `Box(0, 255, [height, width, 3], 'uint8')`. */
  height: number;
  width: number;
  /** Dict key of the image; default `'image'`. */
  key?: string;
  /** Dict key of the inner observation when it is not a Dict; default `'state'`. */
  stateKey?: string;
}

/** The image space of vision observations: `Box(0, 255, [height, width, 3], 'uint8')` (Gymnasium's image Box). */
export function imageSpace(height: number, width: number): Box<Uint8Array> {
  return new Box(0, 255, [height, width, 3], 'uint8') as Box<Uint8Array>;
}

/**
 * Adds camera images to a vector env's observations, at the asynchronous
 * layer: rendering is a round trip (to headless Chromium, or to a robot), so
 * it cannot live inside the synchronous `Env.step`. After each inner
 * `reset`/`step` the {@link ImageBatchSource} draws all sub-envs at once.
 *
 * The single observation space becomes a `Dict` with `image` =
 * `Box(0, 255, [H, W, 3], 'uint8')` beside the inner Dict's keys (or beside
 * `state` when the inner space is not a Dict), so `obs` is the flat Dict
 * (keys sorted, as Gymnasium), the pixels as numbers 0-255 at the image's
 * offset: the layout the `text-transformer` policy reads its image tokens
 * from. The same pixels come as bytes in `result.images.image`
 * (`Uint8Array [numEnvs x H x W x 3]`), and `result.text` passes through.
 * Autoreset ("next-step") is the inner env's: a sub-env reset on step t+1
 * is drawn in its new state.
 */
export class AddImageObservation implements VectorEnv {
  readonly numEnvs: number;
  readonly singleObservationSpace: Dict;
  readonly singleActionSpace: Space<unknown>;
  readonly obsDim: number;
  readonly actDim: number;
  readonly autoresetMode = 'next_step' as const;
  readonly key: string;
  private readonly shape: readonly [number, number, number, number];
  private readonly obs: Float32Array;
  private readonly pixels: Uint8Array;
  private readonly images: Record<string, Uint8Array>;
  /** Copies from the inner flat observation: `[innerOffset, outerOffset, length]` per inner part. */
  private readonly copies: ReadonlyArray<readonly [number, number, number]>;
  private readonly imageOffset: number;
  private closing: Promise<void> | null = null;

  constructor(
    readonly inner: VectorEnv,
    private readonly source: ImageBatchSource,
    options: AddImageObservationOptions,
  ) {
    const where = 'AddImageObservation';
    const { height, width } = options ?? ({} as AddImageObservationOptions);
    for (const [name, v] of [['height', height], ['width', width]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new InvalidArgument(formatError(`${where}.options.${name}`, 'a positive integer number of pixels', describeValue(v), 'Pass the renderer\'s size, e.g. { height: 64, width: 64 }'));
    }
    this.key = options.key ?? 'image';
    const stateKey = options.stateKey ?? 'state';
    const innerSpace = inner.singleObservationSpace;
    const innerParts: Record<string, Space<unknown>> = innerSpace instanceof Dict ? { ...innerSpace.spaces } : { [stateKey]: innerSpace };
    if (this.key in innerParts) {
      throw new InvalidArgument(formatError(`${where}.options.key`, `a key not already in the observation (${Object.keys(innerParts).join(', ')})`, describeValue(this.key), "Pass another key, e.g. { key: 'camera' }"));
    }
    this.numEnvs = inner.numEnvs;
    this.singleActionSpace = inner.singleActionSpace;
    this.actDim = inner.actDim;
    this.singleObservationSpace = new Dict({ ...innerParts, [this.key]: imageSpace(height, width) });
    this.obsDim = this.singleObservationSpace.flatDim;
    this.shape = [this.numEnvs, height, width, 3];
    // Where each inner part lies, inside and outside.
    const innerOffsets = new Map<string, number>();
    let o = 0;
    for (const k of Object.keys(innerParts).sort()) {
      innerOffsets.set(k, o);
      o += innerParts[k].flatDim;
    }
    const copies: [number, number, number][] = [];
    let imageOffset = 0;
    o = 0;
    for (const k of this.singleObservationSpace.keys) {
      const dim = this.singleObservationSpace.spaces[k].flatDim;
      if (k === this.key) imageOffset = o;
      else copies.push([innerOffsets.get(k)!, o, dim]);
      o += dim;
    }
    this.copies = copies;
    this.imageOffset = imageOffset;
    this.obs = new Float32Array(this.numEnvs * this.obsDim);
    this.pixels = new Uint8Array(this.numEnvs * height * width * 3);
    this.images = { [this.key]: this.pixels };
  }

  async reset(args?: VectorResetArgs): Promise<VectorResetResult> {
    const r = await this.inner.reset(args);
    await this.observe(r.obs, 'reset');
    return { obs: this.obs, info: r.info, ...(r.text ? { text: r.text } : {}), images: this.images };
  }

  async step(actions: ActionBatch): Promise<VectorStepResult> {
    const r = await this.inner.step(actions);
    await this.observe(r.obs, 'step');
    return { obs: this.obs, rewards: r.rewards, terminated: r.terminated, truncated: r.truncated, info: r.info, ...(r.text ? { text: r.text } : {}), images: this.images };
  }

  /** Renders the batch, checks its shape, and builds the flat Dict observation. */
  private async observe(innerObs: Float32Array, method: string): Promise<void> {
    const batch = await this.source.render();
    const [n, h, w, c] = this.shape;
    const got = batch?.shape;
    if (!batch || !(batch.data instanceof Uint8Array) || !Array.isArray(got) || got.length !== 4 || got.some((v, i) => v !== this.shape[i]) || batch.data.length !== n * h * w * c) {
      const gotText = batch && Array.isArray(got) ? `${batch.data?.constructor?.name ?? typeof batch.data} [${got.join(' x ')}]${batch.data?.length !== undefined ? ` (${batch.data.length} bytes)` : ''}` : describeValue(batch);
      throw new InvalidObservation(formatError(`AddImageObservation.${method}.image`, `Uint8Array [${this.shape.join(' x ')}] (numEnvs x height x width x 3)`, gotText, 'Render at the size the wrapper was given (options.height, options.width), one image per sub-env'));
    }
    this.pixels.set(batch.data);
    const innerDim = this.inner.obsDim;
    const per = h * w * c;
    for (let i = 0; i < n; i++) {
      const inBase = i * innerDim;
      const outBase = i * this.obsDim;
      for (const [from, to, len] of this.copies) this.obs.set(innerObs.subarray(inBase + from, inBase + from + len), outBase + to);
      const img = this.pixels.subarray(i * per, (i + 1) * per);
      const dst = outBase + this.imageOffset;
      for (let j = 0; j < per; j++) this.obs[dst + j] = img[j];
    }
  }

  /** Closes the inner vector env and the image source. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.inner.close();
      } finally {
        await this.source.close?.();
      }
    })();
    return this.closing;
  }
}
