import { BaseEnv, type ResetArgs, type ResetResult, type StepResult } from '../src/core/env.js';
import { Box, type BoxArray } from '../src/core/spaces/box.js';
import { Discrete } from '../src/core/spaces/discrete.js';
import { register, registeredIds } from '../src/registry/registry.js';

/** Options of {@link BusyEnv}. */
export interface BusyEnvOptions {
  /** Wall-clock cost of one step in microseconds (busy-waited, like a physics step). Default 0. */
  stepCostUs?: number;
}

/**
 * A synthetic env whose step costs a configurable number of microseconds of
 * CPU (busy-wait), for finding where `AsyncVectorEnv` overtakes `SyncVectorEnv`.
 * Observation `Float32Array [4]`, action `Discrete(2)`, reward 1, episodes of
 * 200 steps (TimeLimit).
 */
export class BusyEnv extends BaseEnv<BoxArray, number> {
  readonly observationSpace = new Box(-Infinity, Infinity, [4], 'float32');
  readonly actionSpace = new Discrete(2);
  private readonly stepCostMs: number;
  private t = 0;

  constructor(options: BusyEnvOptions = {}) {
    super();
    this.stepCostMs = (options.stepCostUs ?? 0) / 1000;
  }

  reset(args?: ResetArgs): ResetResult<BoxArray> {
    this.seedRng(args);
    this.t = 0;
    return { obs: new Float32Array(4), info: {} };
  }

  step(action: number): StepResult<BoxArray> {
    if (this.stepCostMs > 0) {
      const end = performance.now() + this.stepCostMs;
      while (performance.now() < end);
    }
    this.t++;
    const obs = new Float32Array(4);
    obs[0] = this.t;
    obs[1] = action;
    return { obs, reward: 1, terminated: false, truncated: false, info: {} };
  }
}

/** Id of the registered {@link BusyEnv}. */
export const BUSY_ID = 'bench/Busy-v0';

if (!registeredIds().includes(BUSY_ID)) {
  register({ id: BUSY_ID, entryPoint: (kwargs) => new BusyEnv(kwargs as BusyEnvOptions), maxEpisodeSteps: 200, module: import.meta.url });
}
