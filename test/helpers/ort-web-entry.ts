/**
 * Page side of test/helpers/ort-web.ts: onnxruntime-web (wasm, one thread)
 * loaded from the harness server, and the same replay code the Node parity
 * test runs (test/export/onnx-replay.ts). Exposed as `window.ortWeb`.
 */
import type * as OrtWeb from 'onnxruntime-web';
import { replayStepModel, replayWindowModel } from '../export/onnx-replay.js';
import type { StatePair } from '../../agents/export/export-source.js';

/** A recorded run as plain arrays (what page.evaluate carries). */
export interface PageRecording {
  obsDim: number;
  obs: number[];
  episodeStart: number[];
  actions: number[];
}

/** How the window model's action input is built from the recording: one-hot of `action - start`, or the step model's means. */
export type PageEncoding = { kind: 'onehot'; start: number; n: number } | { kind: 'mean'; dim: number };

let ortPromise: Promise<typeof OrtWeb> | null = null;
async function ort(): Promise<typeof OrtWeb> {
  const url = '/ort/ort.wasm.min.mjs';
  ortPromise ??= (import(url) as Promise<typeof OrtWeb>).then((m) => {
    m.env.wasm.wasmPaths = '/ort/';
    m.env.wasm.numThreads = 1;
    return m;
  });
  return ortPromise;
}

async function session(modelUrl: string): Promise<OrtWeb.InferenceSession> {
  const o = await ort();
  return o.InferenceSession.create(new Uint8Array(await (await fetch(modelUrl)).arrayBuffer()), { executionProviders: ['wasm'] });
}

const api = {
  /** Replays a recording through a step model (and, with `windowUrl`, the full-window model). */
  async replay(args: { stepUrl: string; windowUrl: string | null; state: StatePair[]; rec: PageRecording; actDim: number; encoding: PageEncoding }) {
    const o = await ort();
    const rec = { obsDim: args.rec.obsDim, obs: Float32Array.from(args.rec.obs), episodeStart: Uint8Array.from(args.rec.episodeStart) };
    const step = await session(args.stepUrl);
    const got = await replayStepModel(step, o.Tensor, args.state, rec, args.actDim);
    await step.release();
    let whole = null;
    if (args.windowUrl) {
      const e = args.encoding;
      const actIn = e.kind === 'onehot' ? e.n : e.dim;
      const encode = e.kind === 'onehot'
        ? (t: number, out: Float32Array, off: number) => void (out[off + args.rec.actions[t] - e.start] = 1)
        : (t: number, out: Float32Array, off: number) => out.set((got.means as Float64Array).subarray(t * e.dim, (t + 1) * e.dim), off);
      const win = await session(args.windowUrl);
      whole = await replayWindowModel(win, o.Tensor, rec, args.actDim, actIn, encode);
      await win.release();
    }
    return { actions: Array.from(got.actions), values: Array.from(got.values), window: whole ? { actions: Array.from(whole.actions), values: Array.from(whole.values) } : null };
  },

  /**
   * Median over chunks of the mean microseconds per `run` of a model on
   * float32 feeds of the given shapes (after `warmup` runs). Calls are timed
   * in chunks of 20: a page that is not cross-origin isolated gets
   * `performance.now()` coarsened to 0.1 ms.
   */
  async latency(args: { url: string; feeds: Record<string, number[]>; iterations: number; warmup: number }) {
    const o = await ort();
    const s = await session(args.url);
    const feeds: Record<string, OrtWeb.Tensor> = {};
    for (const [name, dims] of Object.entries(args.feeds)) feeds[name] = new o.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(name === 'past_mask' ? 1 : 0.5), dims);
    for (let i = 0; i < args.warmup; i++) await s.run(feeds);
    const chunk = 20;
    const times: number[] = [];
    for (let c = 0; c < Math.max(1, Math.floor(args.iterations / chunk)); c++) {
      const t0 = performance.now();
      for (let i = 0; i < chunk; i++) await s.run(feeds);
      times.push(((performance.now() - t0) * 1000) / chunk);
    }
    await s.release();
    times.sort((a, b) => a - b);
    return { medianUs: times[Math.floor(times.length / 2)] };
  },
};

export type OrtWebApi = typeof api;
(window as unknown as { ortWeb: OrtWebApi }).ortWeb = api;
(window as unknown as { ortWebReady: boolean }).ortWebReady = true;
