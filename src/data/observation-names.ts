import type { FeatureInfo } from './lerobot-format.js';

/**
 * Per-dimension names of a flat observation from an env's named fields
 * (`metadata.observationFields`: `{ name: [start, end) }`, e.g. ArmReach-v0's
 * `{ qpos: [0, 6], qvel: [6, 12], ee: [12, 15], ... }`): dimension `start + k`
 * of field `f` is `"f.k"`. Null unless the fields tile `[0, dim)` exactly
 * (no gap, no overlap), so a name always means one column.
 *
 * `lamkit record` writes them as `observation.state`'s LeRobot `names`;
 * a pretrained transformer keeps them per space, and a new task's
 * observation tokenizer starts with the columns of the names it knows
 * ({@link TransformerActorCritic.adaptedTo}).
 */
export function observationNames(fields: unknown, dim: number): string[] | null {
  if (fields === null || typeof fields !== 'object') return null;
  const names: Array<string | undefined> = new Array(dim).fill(undefined);
  for (const [field, range] of Object.entries(fields as Record<string, unknown>)) {
    if (!Array.isArray(range) || range.length !== 2) return null;
    const [start, end] = range as unknown[];
    if (!Number.isInteger(start) || !Number.isInteger(end) || (start as number) < 0 || (end as number) > dim || (start as number) >= (end as number)) return null;
    for (let i = start as number; i < (end as number); i++) {
      if (names[i] !== undefined) return null;
      names[i] = `${field}.${i - (start as number)}`;
    }
  }
  return names.every((n) => n !== undefined) ? (names as string[]) : null;
}

/** The per-dimension names a dataset's `observation.state` feature declares (`dim` strings), or null. */
export function featureNames(feature: FeatureInfo | undefined, dim: number): string[] | null {
  const names = feature?.names;
  return Array.isArray(names) && names.length === dim && names.every((n) => typeof n === 'string') ? [...names] : null;
}
