export { register, unregister, registeredIds, spec, make, makeAsync, prepare, type EnvRegistration, type EnvFactory, type MakeOptions } from './registry.js';
export { makeVec, type MakeVecOptions } from './make-vec.js';
export { makeRegistered, registeredEnvFactory, type RegisteredEnvArgs } from './registered-env-factory.js';
