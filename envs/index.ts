// Public API of envs/: importing it registers the built-in tasks (cheap: no WASM, no I/O).
import './classic/register.js';

export { CartPole, type CartPoleOptions } from './classic/cart-pole.js';
export { Pendulum, type PendulumOptions, angleNormalize } from './classic/pendulum.js';
