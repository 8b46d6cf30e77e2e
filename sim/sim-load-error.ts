import { LamkitError, formatError } from '../src/core/errors.js';

/**
 * MuJoCo could not load a model (bad MJCF/URDF, missing file or asset).
 * `mujocoMessage` is MuJoCo's own text (e.g. `XML Error: invalid keyword: 'foo'`);
 * `modelName` names the model that failed.
 */
export class SimLoadError extends LamkitError {
  constructor(
    message: string,
    readonly modelName: string,
    readonly mujocoMessage: string,
    options?: { cause?: unknown },
  ) {
    super(message, 'SIM_LOAD', options);
  }

  /** Wraps an exception thrown by MuJoCo while loading `name` (stage: `MjModel` or `MjData`). */
  static fromMujoco(name: string, err: unknown, stage = 'MjModel'): SimLoadError {
    const raw = err instanceof Error ? err.message : String(err);
    const mujocoMessage = raw.replace(/^MuJoCo Error:\s*/, '').trim();
    const message = formatError(`MujocoWorld.create(${JSON.stringify(name)})`, `a model MuJoCo can load (${stage})`, `MuJoCo error: ${mujocoMessage}`, 'Fix the model text at the place MuJoCo names');
    return new SimLoadError(message, name, mujocoMessage, { cause: err });
  }
}
