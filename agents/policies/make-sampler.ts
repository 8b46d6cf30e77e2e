import type { ActionSampler } from '../distributions/action-distribution.js';
import { CategoricalSampler } from '../distributions/categorical-sampler.js';
import { DiagGaussianSampler } from '../distributions/diag-gaussian-sampler.js';
import type { HeadSpec } from './param-layout.js';

/** The plain-JS sampler a head spec describes (no tfjs; see `makeDistribution` for training). */
export function makeSampler(head: HeadSpec): ActionSampler {
  return head.kind === 'categorical' ? new CategoricalSampler(head.nvec) : new DiagGaussianSampler(head.dim);
}
