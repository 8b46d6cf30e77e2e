import type { ActionDistribution } from '../distributions/action-distribution.js';
import { Categorical } from '../distributions/categorical.js';
import { DiagGaussian } from '../distributions/diag-gaussian.js';
import type { HeadSpec } from './param-layout.js';

/** The distribution a head spec describes. */
export function makeDistribution(head: HeadSpec): ActionDistribution {
  return head.kind === 'categorical' ? new Categorical(head.nvec) : new DiagGaussian(head.dim);
}
