import { OnnxStepper, type OrtSessionLike, type OrtTensorConstructor } from '../../agents/export/onnx-stepper.js';
import type { StatePair } from '../../agents/export/export-source.js';

/** What an exported model answered on recorded steps. */
export interface ReplayResult {
  actions: Float64Array;
  values: Float64Array;
  /** The Gaussian mean per step (when exported with the distribution), else null. */
  means: Float64Array | null;
}

/**
 * Replays recorded observations (`[steps x obsDim]`, episode starts) through
 * an exported step model one step at a time, state carried by an
 * {@link OnnxStepper} and cleared at each episode start. Platform-neutral:
 * the Node test passes onnxruntime-node, the page onnxruntime-web.
 */
export async function replayStepModel(session: OrtSessionLike, Tensor: OrtTensorConstructor, state: StatePair[], rec: { obsDim: number; obs: Float32Array; episodeStart: Uint8Array }, actDim: number): Promise<ReplayResult> {
  const steps = rec.episodeStart.length;
  const stepper = new OnnxStepper(session, Tensor, state, rec.obsDim, 1);
  const actions = new Float64Array(steps * actDim);
  const values = new Float64Array(steps);
  let means: Float64Array | null = null;
  for (let t = 0; t < steps; t++) {
    if (rec.episodeStart[t]) stepper.resetEpisode(0);
    const out = await stepper.step(rec.obs.slice(t * rec.obsDim, (t + 1) * rec.obsDim));
    const a = out.action.data as ArrayLike<number | bigint>;
    for (let j = 0; j < actDim; j++) actions[t * actDim + j] = Number(a[j]);
    values[t] = (out.value.data as Float32Array)[0];
    if (out.mean) (means ??= new Float64Array(steps * actDim)).set(out.mean.data as Float32Array, t * actDim);
  }
  return { actions, values, means };
}

/**
 * Replays recorded episodes through the transformer's full-window model,
 * one episode per call (`obs [1 x T x obsDim]`, `actions [1 x T x actIn]`
 * encoded from the recorded actions by `encode`).
 */
export async function replayWindowModel(session: OrtSessionLike, Tensor: OrtTensorConstructor, rec: { obsDim: number; obs: Float32Array; episodeStart: Uint8Array }, actDim: number, actIn: number, encode: (t: number, out: Float32Array, offset: number) => void): Promise<ReplayResult> {
  const steps = rec.episodeStart.length;
  const actions = new Float64Array(steps * actDim);
  const values = new Float64Array(steps);
  let first = 0;
  while (first < steps) {
    let end = first + 1;
    while (end < steps && !rec.episodeStart[end]) end++;
    const T = end - first;
    const enc = new Float32Array(T * actIn);
    for (let t = 0; t < T; t++) encode(first + t, enc, t * actIn);
    const out = await session.run({ obs: new Tensor('float32', rec.obs.slice(first * rec.obsDim, end * rec.obsDim), [1, T, rec.obsDim]), actions: new Tensor('float32', enc, [1, T, actIn]) });
    const a = out.action.data as ArrayLike<number | bigint>;
    for (let i = 0; i < T * actDim; i++) actions[first * actDim + i] = Number(a[i]);
    values.set(out.value.data as Float32Array, first);
    first = end;
  }
  return { actions, values, means: null };
}
