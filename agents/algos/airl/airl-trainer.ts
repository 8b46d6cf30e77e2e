import { registerTrainer } from '../trainer.js';
import { adversarialTrainer } from '../gail/adversarial-trainer.js';

/** AIRL (`lamkit imitate --algo airl`): PPO on f - log pi, learning the transferable reward g(s). */
export const airlTrainer = adversarialTrainer('airl');

registerTrainer(airlTrainer);
