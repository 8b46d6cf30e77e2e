// Where full fine-tuning's gain lives (issue 12 (c)): splices a fully fine-tuned ArmPush-v0 checkpoint
// (bench:adapt's variant (b)) with the base it started from, and evaluates each splice like bench:adapt.
//
//   npm run bench:adapt-splice -- --checkpoint <(b) checkpoint> [--base lamkit-base] [--episodes 50] [--seed 10000]
//        [--out bench/results/adapt-splice.json]
//
// Every splice keeps the fine-tuned tokenizers and heads and changes only the trunk (blocks.*, ln_f.*):
//   - "back to the base": the named trunk tensors take the base's values again (how much of the success
//     needs their change);
//   - "rank r": each trunk projection's change W_ft - W_base (wq, wk, wv, wo, w1, w2) is cut to its top r
//     singular directions (what an adapter of rank r could hold of it, at best in the Frobenius sense;
//     a trained adapter may find another, better low-rank change);
//   - "largest p% of entries": of the change of every trunk projection together, only the entries largest in
//     magnitude are kept, the rest of each projection back to the base (what a sparse fine-tuning of that many
//     numbers could hold of it, at best).
// Per projection it also prints the change's size relative to the base weight, the share of its energy
// (squared Frobenius norm) in the top 1 / 4 / 8 / 16 / 32 singular directions, and in the top 1 / 4 Kronecker
// products A (x) B (Van Loan's nearest Kronecker sum, A 8 x 8 or 8 x 32 / 32 x 8, B 16 x 16: what LoKr-style
// adapters could hold of it).
// The fine-tuned checkpoint itself is evaluated first through the same path, so every row compares with it.
// Evaluation: `--episodes` deterministic episodes from seed `--seed` (bench:adapt's: 50 from 10000).
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import * as lib from '../src/index.js';
import { readCheckpoint } from '../agents/checkpoint/read-checkpoint.js';
import { saveCheckpoint } from '../agents/checkpoint/save-checkpoint.js';
import { principalSplit } from '../agents/policies/transformer/transformer-lora.js';
import { parseIntFlag } from '../src/cli/flags.js';
import { writeFileAtomic } from '../src/data/atomic-write.js';

const ENV_ID = 'ArmPush-v0';
const PROJECTIONS = ['attn.wq', 'attn.wk', 'attn.wv', 'attn.wo', 'mlp.w1', 'mlp.w2'];
const ENERGY_RANKS = [1, 4, 8, 16, 32];
const KRONECKER_TERMS = [1, 4];
const SPARSE_SHARES = [0.025, 0.05, 0.1];

const { values } = parseArgs({ options: { checkpoint: { type: 'string' }, base: { type: 'string', default: 'lamkit-base' }, episodes: { type: 'string', default: '50' }, seed: { type: 'string', default: '10000' }, out: { type: 'string', default: 'bench/results/adapt-splice.json' } } });
if (values.checkpoint === undefined) {
  console.error(`bench:adapt-splice --checkpoint: expected a fully fine-tuned ${ENV_ID} transformer (npm run bench:adapt -- --variants b --keep <dir>: <dir>/b-<demos>-<seed>), got nothing. Pass --checkpoint <dir>`);
  process.exit(2);
}
const episodes = parseIntFlag('bench:adapt-splice --episodes', values.episodes, 1, '50') as number;
const seed = parseIntFlag('bench:adapt-splice --seed', values.seed, 0, '10000') as number;

/**
 * A splice: per trunk tensor, keep the fine-tuned value, take the base's, cut the change to rank r, or keep only
 * the change's entries among the largest `share` of every projection's together.
 */
type Rule = (name: string) => 'ft' | 'base' | number | { share: number };
const isProjection = (name: string): boolean => PROJECTIONS.some((p) => name.endsWith(p));
const SPLICES: Array<{ label: string; rule: Rule }> = [
  { label: 'the whole trunk back to the base', rule: () => 'base' },
  { label: 'attention (wq, wk, wv, wo) back to the base', rule: (n) => (n.includes('.attn.') ? 'base' : 'ft') },
  { label: 'both MLPs back to the base', rule: (n) => (n.includes('.mlp.') ? 'base' : 'ft') },
  { label: "layer 0's MLP back to the base", rule: (n) => (n.startsWith('blocks.0.mlp.') ? 'base' : 'ft') },
  { label: "layer 1's MLP back to the base", rule: (n) => (n.startsWith('blocks.1.mlp.') ? 'base' : 'ft') },
  { label: 'norms and MLP biases back to the base', rule: (n) => (isProjection(n) ? 'ft' : 'base') },
  { label: "only layer 0's MLP changed (the rest of the trunk the base's)", rule: (n) => (n.startsWith('blocks.0.mlp.') ? 'ft' : 'base') },
  ...[2, 8, 16, 32, 64].map((r) => ({ label: `every projection's change cut to rank ${r}`, rule: ((n: string) => (isProjection(n) ? r : 'ft')) as Rule })),
  ...[8, 16, 32].map((r) => ({ label: `layer 0's MLP change cut to rank ${r} (the rest as fine-tuned)`, rule: ((n: string) => (n.startsWith('blocks.0.mlp.w') ? r : 'ft')) as Rule })),
  ...SPARSE_SHARES.map((share) => ({ label: `the largest ${100 * share}% of the projections' changed entries kept, the rest back to the base`, rule: ((n: string) => (isProjection(n) ? { share } : 'ft')) as Rule })),
];

const ft = readCheckpoint(values.checkpoint);
const base = readCheckpoint(lib.resolveCheckpointDir(values.base!));
const baseTensors = new Map(base.data.policy.tensors.map((t) => [t.name, t]));
const isTrunk = (name: string): boolean => name.startsWith('blocks.') || name.startsWith('ln_f.');
const trunk = ft.data.policy.tensors.filter((t) => isTrunk(t.name));
if (ft.data.policy.kind !== 'transformer' || trunk.length === 0 || ft.data.meta.envId !== ENV_ID) {
  console.error(`bench:adapt-splice --checkpoint: expected a transformer checkpoint of ${ENV_ID} (a trunk of blocks.*), got a '${ft.data.policy.kind}' policy of ${ft.data.meta.envId} in ${ft.dir}. Pass bench:adapt's (b) checkpoint (--variants b --keep <dir>)`);
  process.exit(2);
}
for (const t of trunk) {
  const b = baseTensors.get(t.name);
  if (!b || b.data.length !== t.data.length) {
    console.error(`bench:adapt-splice --checkpoint: expected the trunk of --base ${values.base} (${t.name} ${b ? `of ${b.data.length} values` : 'missing there'}), got ${t.data.length} values in ${ft.dir}. Pass the base the checkpoint was fine-tuned from (--base)`);
    process.exit(2);
  }
}
/** Each trunk tensor's change `W_ft - W_base`, computed once. */
const changes = new Map(trunk.map((t) => [t.name, Float32Array.from(t.data, (v, i) => v - baseTensors.get(t.name)!.data[i])]));
const norm = (a: Float32Array): number => Math.sqrt(a.reduce((s, v) => s + v * v, 0));
/** Per share of {@link SPARSE_SHARES}: the smallest |change| kept when only that share of the projections' entries is. */
const projectionChanges = [...changes].filter(([name]) => isProjection(name)).map(([, d]) => d);
const magnitudes = Float32Array.from(projectionChanges.flatMap((d) => Array.from(d, Math.abs))).sort().reverse();
const sparseThreshold = new Map(SPARSE_SHARES.map((share) => [share, magnitudes[Math.max(0, Math.floor(share * magnitudes.length) - 1)]]));

/** Squared singular values of a `rows x cols` row-major matrix (ml-matrix, float64). */
function squaredSpectrum(d: ArrayLike<number>, rows: number, cols: number): number[] {
  const m = new Matrix(rows, cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) m.set(i, j, d[i * cols + j]);
  return new SingularValueDecomposition(m, { autoTranspose: true, computeLeftSingularVectors: false, computeRightSingularVectors: false }).diagonal.map((s) => s * s);
}
/**
 * Van Loan's rearrangement of a `(a1 b1) x (a2 b2)` matrix: row (i, j) holds block (i, j) (`b1 x b2`) flattened, so
 * its singular values are those of the best sums of Kronecker products `A (x) B` (A `a1 x a2`, B `b1 x b2`).
 */
function kroneckerRearranged(d: Float32Array, a1: number, a2: number, b1: number, b2: number): Float64Array {
  const cols = a2 * b2;
  const out = new Float64Array(d.length);
  let o = 0;
  for (let i = 0; i < a1; i++) for (let j = 0; j < a2; j++) for (let k = 0; k < b1; k++) for (let l = 0; l < b2; l++) out[o++] = d[(i * b1 + k) * cols + j * b2 + l];
  return out;
}
const energyShares = (s2: number[], counts: number[]): number[] => {
  const total = s2.reduce((a, v) => a + v, 0);
  return counts.map((r) => s2.slice(0, r).reduce((a, v) => a + v, 0) / total);
};

console.log(`bench:adapt-splice ${ENV_ID}: ${ft.dir} against the base ${base.dir}; ${episodes} episodes from seed ${seed}; machine load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`\n| projection | shape | change / base (Frobenius) | energy in the top ${ENERGY_RANKS.join(' / ')} directions (numbers per direction) | in the top ${KRONECKER_TERMS.join(' / ')} Kronecker products (numbers per product) |\n|---|---|---:|---|---|`);
const spectra: Array<{ name: string; relative: number; energy: number[]; kronecker: number[] }> = [];
for (const t of trunk.filter((x) => isProjection(x.name))) {
  const d = changes.get(t.name)!;
  const [rows, cols] = t.shape;
  const energy = energyShares(squaredSpectrum(d, rows, cols), ENERGY_RANKS);
  // A's side 8, B's 16 (a 128 x 128 projection: A 8 x 8, B 16 x 16; 128 x 512: A 8 x 32, B 16 x 16).
  const [a1, a2] = [rows / 16, cols / 16];
  const kronecker = energyShares(squaredSpectrum(kroneckerRearranged(d, a1, a2, 16, 16), a1 * a2, 256), KRONECKER_TERMS);
  const relative = norm(d) / norm(baseTensors.get(t.name)!.data);
  spectra.push({ name: t.name, relative, energy, kronecker });
  console.log(`| ${t.name} | ${rows} x ${cols} | ${relative.toFixed(2)} | ${energy.map((e) => e.toFixed(2)).join(' / ')} (${rows + cols}) | ${kronecker.map((e) => e.toFixed(2)).join(' / ')} (${a1 * a2 + 256}) |`);
}

const backend = await lib.initBackend();
const root = mkdtempSync(join(tmpdir(), 'lamkit-bench-adapt-splice-'));
async function evaluate(dir: string): Promise<lib.PolicyEvaluation> {
  const policy = await lib.loadPolicy(dir, { seed: 0 });
  const env = await lib.makeAsync(ENV_ID);
  try {
    return await lib.evaluatePolicy(policy, env, { episodes, seed, deterministic: true, yieldEvery: 500 });
  } finally {
    await env.close();
  }
}
const rows: Array<{ label: string; changedNumbers: number; successRate: number; meanReturn: number }> = [];
try {
  const asIs = await evaluate(ft.dir);
  const allChanged = trunk.reduce((a, t) => a + t.data.length, 0);
  rows.push({ label: 'as fine-tuned', changedNumbers: allChanged, successRate: asIs.successRate ?? NaN, meanReturn: asIs.meanReturn });
  console.log(`\ntfjs backend ${backend.name}; the trunk has ${allChanged} numbers\n\n| splice of the trunk | numbers that hold the change | success % | mean return |\n|---|---:|---:|---:|`);
  console.log(`| as fine-tuned | ${allChanged} | ${(100 * (asIs.successRate ?? NaN)).toFixed(0)} | ${asIs.meanReturn.toFixed(2)} |`);
  for (const { label, rule } of SPLICES) {
    let changed = 0;
    const tensors = ft.data.policy.tensors.map((t) => {
      if (!isTrunk(t.name)) return t;
      const how = rule(t.name);
      if (how === 'ft') return (changed += t.data.length), t;
      if (how === 'base') return { ...t, data: baseTensors.get(t.name)!.data };
      if (typeof how === 'object') {
        const threshold = sparseThreshold.get(how.share)!;
        const d = changes.get(t.name)!;
        const data = Float32Array.from(t.data, (v, i) => (Math.abs(d[i]) >= threshold ? ((changed += 1), v) : baseTensors.get(t.name)!.data[i]));
        return { ...t, data };
      }
      const [r, c] = t.shape;
      changed += how * (r + c);
      // principalSplit's residual is the change less its top singular directions: fine-tuned minus it keeps only those.
      const { residual } = principalSplit(changes.get(t.name)!, r, c, how, 1);
      return { ...t, data: Float32Array.from(t.data, (v, i) => v - residual[i]) };
    });
    const dir = join(root, `splice-${rows.length}`);
    saveCheckpoint(dir, { ...ft.data, policy: { ...ft.data.policy, tensors } });
    const ev = await evaluate(dir);
    rmSync(dir, { recursive: true, force: true });
    rows.push({ label, changedNumbers: changed, successRate: ev.successRate ?? NaN, meanReturn: ev.meanReturn });
    console.log(`| ${label} | ${changed} | ${(100 * (ev.successRate ?? NaN)).toFixed(0)} | ${ev.meanReturn.toFixed(2)} |`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
mkdirSync(dirname(values.out!), { recursive: true });
writeFileAtomic(values.out!, JSON.stringify({ envId: ENV_ID, checkpoint: ft.dir, base: base.dir, episodes, seed, spectra, rows, load: loadavg()[0], date: new Date().toISOString() }, null, 2) + '\n');
console.log(`\nbench:adapt-splice: wrote ${values.out}`);
