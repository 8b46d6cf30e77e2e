// Public API of src/vector.
export { SyncVectorEnv } from './sync-vector-env.js';
export { AsyncVectorEnv, type AsyncVectorEnvOptions } from './async-vector-env.js';
export { AsyncEnvVector } from './async-env-vector.js';
export { BaseVectorEnv, type VectorEnvOptions } from './base-vector-env.js';
export type { WorkerEnvFactory, WorkerEnvFactoryFn, EnvMaker } from './worker-env-factory.js';
export { AddImageObservation, imageSpace, type AddImageObservationOptions, type ImageBatch, type ImageBatchSource } from './add-image-observation.js';
