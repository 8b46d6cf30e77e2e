import type { Rng } from '../../../src/core/rng.js';
import { InvalidArgument, formatError } from '../../../src/core/errors.js';
import type { ActorCritic } from '../../policies/actor-critic.js';
import { TransformerActorCritic } from '../../policies/transformer/transformer-actor-critic.js';
import type { LoraSpec } from '../../policies/transformer/transformer-spec.js';

/** LoRA's usual setting (Hu et al. 2021): rank 8, alpha 16, on the query and value projections (as `lamkit finetune --mode lora`). */
export const DEFAULT_LORA: LoraSpec = { rank: 8, alpha: 16, targets: ['wq', 'wv'] };

/**
 * A transformer set up for LoRA-only training (PPO `trainParams: 'lora'`):
 * fresh adapters (`DEFAULT_LORA`, a no-op until trained) when it has none,
 * the trunk and tokenizers frozen, adapters and heads trainable. Takes
 * ownership of `net` (disposed when replaced).
 * @throws InvalidArgument for a network that is not a transformer.
 */
export function loraOnly(net: ActorCritic, rng: Rng, lora: LoraSpec = DEFAULT_LORA): TransformerActorCritic {
  if (!(net instanceof TransformerActorCritic)) {
    throw new InvalidArgument(formatError('PPO.config.trainParams', `'all' for a '${net.kind}' network (LoRA adapters need a transformer)`, "'lora'", 'Train all parameters, or start from a transformer'));
  }
  let out = net;
  if (!net.spec.lora) {
    out = net.withLora(lora, rng);
    net.dispose();
  }
  out.setTrainable('trunk', false);
  out.setTrainable('tokenizers', false);
  out.setTrainable('heads', true);
  out.setTrainable('lora', true);
  return out;
}
