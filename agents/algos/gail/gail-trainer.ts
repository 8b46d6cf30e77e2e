import { registerTrainer } from '../trainer.js';
import { adversarialTrainer } from './adversarial-trainer.js';

/** GAIL (`lamkit imitate --algo gail`): PPO on the discriminator's logit reward. */
export const gailTrainer = adversarialTrainer('gail');

registerTrainer(gailTrainer);
