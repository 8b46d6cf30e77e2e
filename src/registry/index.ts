export { register, unregister, registeredIds, spec, make, type EnvRegistration, type EnvFactory, type MakeOptions } from './registry.js';
