/**
 * The reference figures of docs/references.md (the one place they live):
 * `reference('gymnasium.cartpole.sps')` parses the row with that id.
 */
import { readFileSync } from 'node:fs';

/** One row of docs/references.md. */
export interface Reference {
  id: string;
  /** What was measured. */
  figure: string;
  /** The value, or [low, high] for a range. */
  value: number | [number, number];
  unit: string;
  better: 'higher' | 'lower';
  /** Where it was measured or published. */
  source: string;
}

const FILE = new URL('../docs/references.md', import.meta.url);
let cache: Map<string, Reference> | null = null;

/** Every reference of docs/references.md by id. */
export function references(): Map<string, Reference> {
  if (cache) return cache;
  cache = new Map();
  for (const line of readFileSync(FILE, 'utf8').split('\n')) {
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    const id = /^`([^`]+)`$/.exec(cells[0] ?? '')?.[1];
    if (!id || cells.length < 6) continue;
    const range = /^(-?[\d.]+)-(-?[\d.]+)$/.exec(cells[2]);
    const value: Reference['value'] = range ? [Number(range[1]), Number(range[2])] : Number(cells[2]);
    if (Array.isArray(value) ? value.some(Number.isNaN) : Number.isNaN(value)) throw new Error(`docs/references.md: ${id}: expected a number or low-high, got ${cells[2]}`);
    cache.set(id, { id, figure: cells[1], value, unit: cells[3], better: cells[4] === 'lower' ? 'lower' : 'higher', source: cells[5] });
  }
  return cache;
}

/** The reference with this id; throws naming the file when it is missing. */
export function reference(id: string): Reference {
  const r = references().get(id);
  if (!r) throw new Error(`bench/references: expected a row \`${id}\` in docs/references.md, got none. Add it with its source.`);
  return r;
}

/** `110k-280k steps/s` / `963 episodic return`. */
export function referenceText(r: Reference): string {
  const f = (x: number): string => (Math.abs(x) >= 1e4 ? `${+(x / 1e3).toFixed(1)}k` : String(x));
  return `${Array.isArray(r.value) ? `${f(r.value[0])}-${f(r.value[1])}` : f(r.value)} ${r.unit}`;
}

/**
 * How many times better than the reference `measured` is (> 1: better),
 * against the end of a range that flatters lamkit least: the top for
 * higher-is-better figures, the bottom for lower-is-better ones. Null for
 * figures that are not positive (returns of -4 vs -4.1 compare by
 * difference, not ratio).
 */
export function ratioToReference(measured: number, r: Reference): number | null {
  const ref = r.better === 'higher' ? (Array.isArray(r.value) ? r.value[1] : r.value) : Array.isArray(r.value) ? r.value[0] : r.value;
  if (!(ref > 0 && measured > 0)) return null;
  return r.better === 'higher' ? measured / ref : ref / measured;
}
