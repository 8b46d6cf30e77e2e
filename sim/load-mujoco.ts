import type { MainModule } from 'mujoco';
import { BackendError, formatError } from '../src/core/errors.js';

/** The loaded MuJoCo WASM module (npm `mujoco`): `MjModel`, `MjData`, `mj_step`, `FS`, ... */
export type Mujoco = MainModule;

let loaded: Mujoco | undefined;
let pending: Promise<Mujoco> | undefined;

/**
 * Loads MuJoCo's WASM module once per process (or page) and returns it.
 *
 * Nothing happens at import time: the first call starts the load (about
 * 0.1-0.3 s), later calls share the same promise. A failed load is not
 * cached, so a later call may retry.
 *
 * @throws BackendError when the module cannot be instantiated.
 */
export function loadMujoco(): Promise<Mujoco> {
  if (loaded) return Promise.resolve(loaded);
  if (!pending) {
    pending = import('mujoco')
      .then((mod) => mod.default())
      .then((mj) => {
        loaded = mj;
        return mj;
      })
      .catch((err: unknown) => {
        pending = undefined;
        throw new BackendError(
          formatError('loadMujoco', 'the MuJoCo WASM module to load', String((err as Error)?.message ?? err), 'Check that the `mujoco` package is installed and its .wasm file is served'),
          { cause: err },
        );
      });
  }
  return pending;
}

/** The module when {@link loadMujoco} has finished, else `undefined` (for synchronous code paths). */
export function loadedMujoco(): Mujoco | undefined {
  return loaded;
}
