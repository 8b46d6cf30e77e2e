import type { MjModel } from 'mujoco';
import type { Mujoco } from './load-mujoco.js';

/** Compiled models kept per WASM module, most recently used last. */
const caches = new WeakMap<Mujoco, Map<string, MjModel>>();
/** Distinct model texts kept compiled; the oldest is freed beyond this. */
const MAX_TEMPLATES = 16;

/**
 * Returns a private copy (`mj_copyModel`) of the model compiled from `key`,
 * compiling it with `compile` only the first time. Compiling MJCF costs
 * 5-30 ms; a copy costs about 0.1 ms, so many worlds of one model (vector
 * envs, experts' kinematic copies) are cheap to create. The caller owns
 * (and deletes) the copy; the cache owns its templates.
 */
export function copyCachedModel(mj: Mujoco, key: string, compile: () => MjModel): MjModel {
  let cache = caches.get(mj);
  if (!cache) {
    cache = new Map();
    caches.set(mj, cache);
  }
  let template = cache.get(key);
  if (template) {
    cache.delete(key);
  } else {
    template = compile();
    while (cache.size >= MAX_TEMPLATES) {
      const [oldestKey, oldest] = cache.entries().next().value as [string, MjModel];
      cache.delete(oldestKey);
      oldest.delete();
    }
  }
  cache.set(key, template);
  return new mj.MjModel(template);
}

/** Frees every cached template of `mj` (worlds already created are unaffected). */
export function clearModelCache(mj: Mujoco): void {
  const cache = caches.get(mj);
  if (!cache) return;
  for (const template of cache.values()) template.delete();
  cache.clear();
}
