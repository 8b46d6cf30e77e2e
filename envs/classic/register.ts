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

/**
 * CartPole-heavy-v0: CartPole-v1 with a pole twice as long (half-length 1 m)
 * and three times as heavy (0.3 kg), the changed-dynamics target of reward
 * transfer (issue 14: a reward learned by AIRL on CartPole-v1 trains a fresh
 * agent here). The PPO expert of CartPole-v1 in test/fixtures balances 500
 * steps there and about 13 here.
 */
if (!registeredIds().includes('CartPole-heavy-v0')) {
  register({
    id: 'CartPole-heavy-v0',
    entryPoint: (kwargs) => new CartPole({ massPoleKg: 0.3, poleHalfLengthM: 1.0, ...(kwargs as CartPoleOptions) }),
    maxEpisodeSteps: 500,
    rewardThreshold: 475,
    module: import.meta.url,
  });
}
