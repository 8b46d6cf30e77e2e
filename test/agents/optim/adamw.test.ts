import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../agents/backend.js';
import { Rng } from '../../../src/core/rng.js';
import { AdamW } from '../../../agents/optim/adamw.js';
import type { AdamWOptions, GroupOptions } from '../../../agents/optim/adamw-options.js';

/**
 * The tensor AdamW as it was before the flat path (commit d63f821, ~10 tfjs
 * kernels per variable, float32 in every op): the reference the flat path
 * must reproduce. Moments per variable; `grads` may lack a variable (skipped).
 */
class ReferenceAdamW {
  readonly m = new Map<tf.Variable, tf.Variable>();
  readonly v = new Map<tf.Variable, tf.Variable>();
  readonly steps = new Map<string, number>();
  constructor(
    readonly groups: ReadonlyArray<{ name: string; vars: tf.Variable[]; trainable: boolean }>,
    readonly o: AdamWOptions,
    readonly go: Record<string, GroupOptions>,
  ) {}
  apply(grads: tf.NamedTensorMap, lr: number, maxGradNorm: number): number {
    const { beta1, beta2, eps } = this.o;
    return tf.tidy(() => {
      const active = this.groups.filter((g) => g.trainable);
      const all = active.flatMap((g) => g.vars.map((x) => grads[x.name])).filter((g): g is tf.Tensor => g !== undefined);
      const norm = tf.sqrt(tf.addN(all.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
      const scale = Number.isFinite(maxGradNorm) ? tf.minimum(1, tf.div(maxGradNorm, tf.add(norm, 1e-6))) : null;
      for (const g of active) {
        const step = (this.steps.get(g.name) ?? 0) + 1;
        this.steps.set(g.name, step);
        const glr = lr * (this.go[g.name]?.lrScale ?? 1);
        const wd = this.go[g.name]?.weightDecay ?? this.o.weightDecay;
        const bc1 = 1 - beta1 ** step;
        const bc2 = 1 - beta2 ** step;
        for (const x of g.vars) {
          if (!this.m.has(x)) {
            this.m.set(x, tf.keep(tf.variable(tf.zerosLike(x), false)));
            this.v.set(x, tf.keep(tf.variable(tf.zerosLike(x), false)));
          }
          const raw = grads[x.name];
          if (!raw) continue;
          const grad = scale ? tf.mul(raw, scale) : raw;
          const mv = this.m.get(x) as tf.Variable;
          const vv = this.v.get(x) as tf.Variable;
          const m = tf.add(tf.mul(mv, beta1), tf.mul(grad, 1 - beta1));
          const v = tf.add(tf.mul(vv, beta2), tf.mul(tf.square(grad), 1 - beta2));
          const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), eps);
          const theta = wd !== 0 ? tf.mul(x, 1 - glr * wd) : x;
          x.assign(tf.sub(theta, tf.mul(tf.div(m, denom), glr / bc1)));
          mv.assign(m);
          vv.assign(v);
        }
      }
      return norm.dataSync()[0];
    });
  }
  dispose(): void {
    tf.dispose([...this.m.values(), ...this.v.values()]);
  }
}

/** Asserts `a` within `rel` relative of `b` (absolute floor 1e-7 for entries near 0). */
function close(a: ArrayLike<number>, b: ArrayLike<number>, rel: number, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= rel * Math.max(Math.abs(b[i]), 0.1), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

test('AdamW (flat JS path) gives the parameters of the tensor AdamW over 8 steps: clipping, weight decay, per-group lr scale and decay, a frozen group, a variable without gradient; state round-trips; tensors flat', async () => {
  await initBackend({ report: null });
  const rng = new Rng(11);
  const options: AdamWOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05 };
  const groupOptions: Record<string, GroupOptions> = { b: { lrScale: 0.5, weightDecay: 0 } };
  const shapes: Record<string, number[][]> = { a: [[7, 5], [5]], b: [[3, 4, 2]], frozen: [[6]], c: [[4]] };
  const make = (tag: string): Record<string, tf.Variable[]> => {
    const r = new Rng(5);
    return Object.fromEntries(Object.entries(shapes).map(([g, ss]) => [g, ss.map((s, k) => tf.variable(tf.tensor(r.fillNormal(new Float32Array(s.reduce((x, y) => x * y, 1))), s), true, `adamw-flat-${tag}-${g}-${k}`))]));
  };
  const mine = make('new');
  const ref = make('ref');
  const frozenBefore = mine.frozen[0].dataSync().slice();
  const trainable = ['a', 'b', 'c'];
  const adam = new AdamW(Object.entries(mine).flatMap(([group, vs]) => vs.map((variable) => ({ group, variable }))), trainable, options, groupOptions);
  const reference = new ReferenceAdamW(Object.entries(ref).map(([name, vars]) => ({ name, vars, trainable: trainable.includes(name) })), options, groupOptions);
  const gradsFor = (vars: Record<string, tf.Variable[]>, values: Float32Array[], skipC: boolean): tf.NamedTensorMap => {
    const out: tf.NamedTensorMap = {};
    let k = 0;
    for (const g of trainable) {
      for (const x of vars[g]) {
        const v = values[k++];
        if (!(skipC && g === 'c')) out[x.name] = tf.tensor(v, x.shape);
      }
    }
    return out;
  };
  let before = 0;
  let clipped = 0;
  for (let step = 0; step < 8; step++) {
    const values = trainable.flatMap((g) => mine[g].map((x) => rng.fillNormal(new Float32Array(x.size))));
    const skipC = step % 3 === 1; // c's loss term absent: no gradient, no update, moments kept
    const maxNorm = step % 2 === 0 ? 2 : Infinity;
    const g1 = gradsFor(mine, values, skipC);
    const g2 = gradsFor(ref, values, skipC);
    const norm = adam.apply(g1, 1e-2 * (1 + step), maxNorm);
    const refNorm = reference.apply(g2, 1e-2 * (1 + step), maxNorm);
    const n = norm.dataSync()[0];
    assert.ok(Math.abs(n - refNorm) <= 1e-6 * refNorm, `norm ${n} vs ${refNorm}`);
    if (refNorm > maxNorm) clipped += 1;
    tf.dispose([norm, ...Object.values(g1), ...Object.values(g2)]);
    if (step === 0) before = tf.memory().numTensors; // after the reference made its moment variables
  }
  assert.equal(tf.memory().numTensors, before, 'tensor count flat over the steps');
  assert.ok(clipped >= 3, `clipping exercised (${clipped} clipped steps)`);
  for (const g of Object.keys(shapes)) mine[g].forEach((x, k) => close(x.dataSync(), ref[g][k].dataSync(), 1e-6, `${g}[${k}]`));
  assert.deepEqual(mine.frozen[0].dataSync(), frozenBefore, 'the frozen group is bit-identical');

  // The state: the reference's moments, flat per group in variable order; per-group step counts; none for the frozen group.
  const state = adam.getState();
  assert.deepEqual(Object.keys(state.groups), ['a', 'b', 'c']);
  assert.equal(state.groups.a.step, 8);
  for (const g of trainable) {
    const flat = (mom: Map<tf.Variable, tf.Variable>): Float32Array => Float32Array.from(ref[g].flatMap((x) => Array.from((mom.get(x) as tf.Variable).dataSync())));
    close(state.groups[g].m, flat(reference.m), 1e-5, `${g}.m`);
    close(state.groups[g].v, flat(reference.v), 1e-5, `${g}.v`);
  }

  // A restored optimizer continues bit for bit (checkpoints and --resume); setTrainable freezes a group.
  const copies = make('copy');
  for (const g of Object.keys(shapes)) copies[g].forEach((x, k) => x.assign(mine[g][k]));
  const restored = new AdamW(Object.entries(copies).flatMap(([group, vs]) => vs.map((variable) => ({ group, variable }))), trainable, options, groupOptions);
  restored.setState(state);
  adam.setTrainable('b', false);
  restored.setTrainable('b', false);
  const bBefore = mine.b[0].dataSync().slice();
  const values = trainable.flatMap((g) => mine[g].map((x) => rng.fillNormal(new Float32Array(x.size))));
  const g1 = gradsFor(mine, values, false);
  const g3 = gradsFor(copies, values, false);
  tf.dispose([adam.apply(g1, 3e-3, 1), restored.apply(g3, 3e-3, 1), ...Object.values(g1), ...Object.values(g3)]);
  for (const g of Object.keys(shapes)) mine[g].forEach((x, k) => assert.deepEqual(x.dataSync(), copies[g][k].dataSync(), `${g}[${k}] after restore`));
  assert.deepEqual(mine.b[0].dataSync(), bBefore, 'a group frozen by setTrainable does not move');
  assert.equal(adam.getState().groups.b.step, 8, "a frozen group's state is kept as it was");

  // Bad gradients get house-format errors.
  const wrong = { [mine.a[1].name]: tf.zeros([4]) };
  assert.throws(() => adam.apply(wrong, 1e-3, 1), { message: `AdamW.apply.grads.${mine.a[1].name}: expected a float32 gradient of shape [5], got float32 [4]. Pass the gradients tf.variableGrads returns for trainableVariables().` });
  assert.throws(() => adam.apply({}, 1e-3, 1), { message: 'AdamW.apply.grads: expected a gradient for at least one trainable variable, got none of 0 given. Differentiate with respect to trainableVariables().' });
  tf.dispose(Object.values(wrong));

  reference.dispose();
  adam.dispose();
  adam.dispose();
  restored.dispose();
  tf.dispose([mine, ref, copies].flatMap((s) => Object.values(s).flat()));
});
