import { register, registeredIds } from '../../src/registry/registry.js';
import { CartPole, type CartPoleOptions } from './cart-pole.js';
import { Pendulum, type PendulumOptions } from './pendulum.js';

/**
 * Registers the classic-control tasks with Gymnasium's settings. Importing
 * this module is cheap (no work beyond two map entries) and idempotent, and
 * worker threads import it (`module`) to rebuild the envs.
 */
if (!registeredIds().includes('CartPole-v1')) {
  register({
    id: 'CartPole-v1',
    entryPoint: (kwargs) => new CartPole(kwargs as CartPoleOptions),
    maxEpisodeSteps: 500,
    rewardThreshold: 475,
    module: import.meta.url,
  });
}
if (!registeredIds().includes('Pendulum-v1')) {
  register({
    id: 'Pendulum-v1',
    entryPoint: (kwargs) => new Pendulum(kwargs as PendulumOptions),
    maxEpisodeSteps: 200,
    module: import.meta.url,
  });
}
