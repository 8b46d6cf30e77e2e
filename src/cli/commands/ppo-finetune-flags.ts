import { InvalidArgument, formatError, describeValue } from '../../core/errors.js';
import { parseIntFlag, parseNumberFlag } from '../flags.js';

/** The `lamkit train` flags for fine-tuning a pretrained policy with PPO, as commander hands them over. */
export interface PpoFinetuneFlags {
  /** Updates that train the value head only before the actor moves. */
  valueWarmup?: string;
  /** Coefficient of the KL penalty towards the `--from` network. */
  klRefCoef?: string;
  /** Target KL of the adaptive coefficient. */
  klRefTarget?: string;
  /** `all` or `lora`. */
  trainParams?: string;
}

/**
 * PPO config fields from the fine-tuning flags (`valueWarmupUpdates`,
 * `klRefCoef`, `klRefTarget`, `trainParams`; see agents/algos/ppo/ppo-config.ts).
 * A flag wins over the same field in `--config`.
 */
export function ppoFinetuneConfig(flags: PpoFinetuneFlags, algo: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const warmup = parseIntFlag('lamkit train --value-warmup', flags.valueWarmup, 0, '5');
  const coef = parseNumberFlag('lamkit train --kl-ref-coef', flags.klRefCoef, 0, '0.1');
  const target = parseNumberFlag('lamkit train --kl-ref-target', flags.klRefTarget, 0, '0.01');
  if (warmup !== undefined) out.valueWarmupUpdates = warmup;
  if (coef !== undefined) out.klRefCoef = coef;
  if (target !== undefined) {
    if (target === 0) throw new InvalidArgument(formatError('lamkit train --kl-ref-target', 'a number > 0', describeValue(flags.klRefTarget), 'Pass e.g. --kl-ref-target 0.01, or drop it for a fixed coefficient'));
    if (coef === undefined) throw new InvalidArgument(formatError('lamkit train --kl-ref-target', 'it together with --kl-ref-coef (the starting coefficient)', describeValue(flags.klRefTarget), 'Add e.g. --kl-ref-coef 0.1'));
    out.klRefTarget = target;
  }
  if (flags.trainParams !== undefined) {
    if (flags.trainParams !== 'all' && flags.trainParams !== 'lora') throw new InvalidArgument(formatError('lamkit train --train-params', 'all or lora', describeValue(flags.trainParams), 'Pass --train-params lora for adapters on a frozen trunk'));
    out.trainParams = flags.trainParams;
  }
  if (Object.keys(out).length > 0 && algo !== 'ppo') {
    throw new InvalidArgument(formatError('lamkit train --algo', "ppo with --value-warmup, --kl-ref-coef, --kl-ref-target or --train-params", describeValue(algo), 'Use --algo ppo, or drop those flags'));
  }
  return out;
}
