export * from './errors.js';
export * from './rng.js';
export * from './spaces/index.js';
export * from './env.js';
export * from './wrapper.js';
export * from './vector-env.js';
export * from './policy.js';
