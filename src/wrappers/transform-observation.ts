import type { Env } from '../core/env.js';
import { ObservationWrapper } from '../core/wrapper.js';
import type { Space } from '../core/spaces/space.js';
import { InvalidArgument, formatError, describeValue } from '../core/errors.js';

/**
 * Applies `func` to every observation (Gymnasium's `TransformObservation`).
 * Pass the transformed values' `observationSpace` when it differs from the
 * wrapped env's (omit it only for transforms that stay inside the space).
 */
export class TransformObservation<Obs, Act, InnerObs> extends ObservationWrapper<Obs, Act, InnerObs> {
  private readonly func: (obs: InnerObs) => Obs;

  constructor(env: Env<InnerObs, Act>, func: (obs: InnerObs) => Obs, observationSpace?: Space<Obs>) {
    super(env);
    if (typeof func !== 'function') {
      throw new InvalidArgument(formatError('TransformObservation.func', 'a function (obs) => obs', describeValue(func), 'Pass e.g. (obs) => obs.map(Math.abs)'));
    }
    this.func = func;
    if (observationSpace !== undefined) this.observationSpace = observationSpace;
  }

  observation(obs: InnerObs): Obs {
    return this.func(obs);
  }
}
