import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetWriter, type DatasetSpec, type DatasetWriterOptions } from '../../src/data/dataset-writer.js';
import type { EpisodeData } from '../../src/data/episode-journal.js';
import { Rng } from '../../src/core/rng.js';

/** A fresh temp directory (removed by the returned cleanup). */
export function tempDir(prefix = 'lamkit-data-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A spec with a float state of `stateDim`, float action of `actionDim` and the reward/done flags. */
export function syntheticSpec(stateDim: number, actionDim: number, extra: DatasetSpec['features'] = {}): DatasetSpec {
  const scalar = (dtype: string) => ({ dtype, shape: [1], names: null });
  return {
    fps: 25,
    features: {
      'observation.state': { dtype: 'float32', shape: [stateDim], names: null },
      action: { dtype: 'float32', shape: [actionDim], names: null },
      'next.reward': scalar('float32'),
      'next.done': scalar('bool'),
      'next.terminated': scalar('bool'),
      'next.truncated': scalar('bool'),
      ...extra,
    },
    lamkit: { envId: 'Synthetic-v0', spaces: null, dtSeconds: 0.04, textFeatures: [] },
  };
}

/** A random episode for {@link syntheticSpec} (terminated at the end when `terminated`, else truncated). */
export function syntheticEpisode(rng: Rng, length: number, stateDim: number, actionDim: number, task = 'reach', terminated = true): EpisodeData {
  const state = new Float32Array(length * stateDim);
  const action = new Float32Array(length * actionDim);
  for (let i = 0; i < state.length; i++) state[i] = rng.normal();
  for (let i = 0; i < action.length; i++) action[i] = rng.uniform(-1, 1);
  const reward = Float32Array.from({ length }, () => rng.normal());
  const end = new Uint8Array(length);
  end[length - 1] = 1;
  return {
    length,
    task,
    frames: {
      'observation.state': state,
      action,
      'next.reward': reward,
      'next.done': end,
      'next.terminated': terminated ? end : new Uint8Array(length),
      'next.truncated': terminated ? new Uint8Array(length) : end.slice(),
    },
  };
}

/** Writes `lengths.length` synthetic episodes and closes the writer; returns them. */
export async function writeSynthetic(dir: string, lengths: number[], stateDim = 3, actionDim = 2, options: DatasetWriterOptions = {}, seed = 0): Promise<EpisodeData[]> {
  const rng = new Rng(seed);
  const w = await DatasetWriter.open(dir, syntheticSpec(stateDim, actionDim), options);
  const eps = lengths.map((n, k) => syntheticEpisode(rng, n, stateDim, actionDim, k % 2 === 0 ? 'reach' : 'push', k % 3 !== 2));
  for (const e of eps) w.addEpisode(e);
  w.close();
  return eps;
}
