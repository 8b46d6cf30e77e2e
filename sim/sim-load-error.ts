import { LamkitError } from '../src/core/errors.js';

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
}
