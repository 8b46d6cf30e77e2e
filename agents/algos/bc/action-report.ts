import * as tf from '@tensorflow/tfjs';
import type { ActorCritic } from '../../policies/actor-critic.js';
import { type Demonstrations, labelledBatch, coveringStarts, episodeFirsts, withFirstObs } from './demonstrations.js';

/** Per-class scores, as a row of scikit-learn's `classification_report`. */
export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** One categorical action component's report (scikit-learn's `classification_report` plus the confusion matrix). */
export interface ClassificationReport {
  /** Class label -> scores (labels are category indices, or the names given). */
  classes: Record<string, ClassScores>;
  accuracy: number;
  macroAvg: ClassScores;
  weightedAvg: ClassScores;
  /** `confusion[true][predicted]` counts. */
  confusion: number[][];
}

/** How well the network's deterministic actions reproduce the labels of a split. */
export type ActionReport =
  | { kind: 'categorical'; steps: number; components: ClassificationReport[] }
  | { kind: 'gaussian'; steps: number; /** Mean squared error of the mean action per dimension, and over all. */ msePerDim: number[]; mse: number };

/**
 * The network's mode action (argmax per categorical component, the Gaussian
 * mean) on every step of `d` (sequence networks see the demonstrated history,
 * as during training), scored against the labels.
 */
export function actionReport(net: ActorCritic, d: Demonstrations, options: { seqLen: number; batchSize: number; classNames?: string[][] }): ActionReport {
  const seq = net.sequence !== null;
  const len = seq ? options.seqLen : 1;
  const starts = coveringStarts(d, len);
  const per = seq ? options.batchSize : options.batchSize * len;
  const head = net.head;
  const ad = d.actDim;
  const predicted = new Float64Array(d.rows * ad);
  const firsts = net.firstObsInput === true ? episodeFirsts(d) : undefined;
  let row = 0;
  for (let i = 0; i < starts.length; i += per) {
    const { batch, weights } = labelledBatch(d, starts.subarray(i, i + per), net.sequence?.context ?? null, len, true);
    withFirstObs(net, d, batch, starts.subarray(i, i + per), len, firsts);
    const out = tf.tidy(() => {
      const ev = net.evaluate(batch);
      const o = (ev.actorOut as tf.Tensor2D).dataSync().slice();
      tf.dispose([ev.logProb, ev.entropy, ev.value]);
      return o;
    });
    const outDim = out.length / weights.length;
    for (let r = 0; r < weights.length; r++) {
      if (!weights[r]) continue;
      if (head.kind === 'categorical') {
        let base = 0;
        head.nvec.forEach((n, j) => {
          let arg = 0;
          for (let k = 1; k < n; k++) if (out[r * outDim + base + k] > out[r * outDim + base + arg]) arg = k;
          predicted[row * ad + j] = arg;
          base += n;
        });
      } else {
        for (let j = 0; j < ad; j++) predicted[row * ad + j] = out[r * outDim + j];
      }
      row += 1;
    }
  }
  if (head.kind === 'gaussian') {
    const msePerDim = new Array<number>(ad).fill(0);
    for (let r = 0; r < d.rows; r++) for (let j = 0; j < ad; j++) msePerDim[j] += (predicted[r * ad + j] - d.actions[r * ad + j]) ** 2 / d.rows;
    return { kind: 'gaussian', steps: d.rows, msePerDim, mse: msePerDim.reduce((a, b) => a + b, 0) / ad };
  }
  const components = head.nvec.map((n, j) => {
    const truth = Int32Array.from({ length: d.rows }, (_, r) => d.actions[r * ad + j]);
    const pred = Int32Array.from({ length: d.rows }, (_, r) => predicted[r * ad + j]);
    return classificationReport(truth, pred, n, options.classNames?.[j]);
  });
  return { kind: 'categorical', steps: d.rows, components };
}

/** scikit-learn's `classification_report` (zero_division = 0) and the confusion matrix, for labels `0..n-1`. */
export function classificationReport(truth: Int32Array, pred: Int32Array, n: number, names?: string[]): ClassificationReport {
  const confusion = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let r = 0; r < truth.length; r++) confusion[truth[r]][pred[r]] += 1;
  const classes: Record<string, ClassScores> = {};
  const rows: ClassScores[] = [];
  let correct = 0;
  for (let k = 0; k < n; k++) {
    const tp = confusion[k][k];
    correct += tp;
    const support = confusion[k].reduce((a, b) => a + b, 0);
    const predictedK = confusion.reduce((a, rowK) => a + rowK[k], 0);
    const precision = predictedK > 0 ? tp / predictedK : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    const s = { precision, recall, f1, support };
    rows.push(s);
    classes[names?.[k] ?? String(k)] = s;
  }
  const total = truth.length;
  const avg = (weight: (s: ClassScores) => number, norm: number): ClassScores => ({
    precision: rows.reduce((a, s) => a + weight(s) * s.precision, 0) / norm,
    recall: rows.reduce((a, s) => a + weight(s) * s.recall, 0) / norm,
    f1: rows.reduce((a, s) => a + weight(s) * s.f1, 0) / norm,
    support: total,
  });
  return { classes, accuracy: total > 0 ? correct / total : 0, macroAvg: avg(() => 1, n), weightedAvg: avg((s) => s.support, Math.max(1, total)), confusion };
}

/** The report as text in scikit-learn's layout (one table per categorical component, or the MSE). */
export function formatActionReport(report: ActionReport): string {
  if (report.kind === 'gaussian') return `mean squared error of the mean action over ${report.steps} steps: ${report.mse.toFixed(5)} (per dimension: ${report.msePerDim.map((m) => m.toFixed(5)).join(', ')})`;
  const f = (x: number): string => x.toFixed(2).padStart(9);
  return report.components
    .map((c, j) => {
      const names = Object.keys(c.classes);
      const w = Math.max(12, ...names.map((s) => s.length));
      const lines = [`${report.components.length > 1 ? `component ${j}` : ''}`.padEnd(w) + '  precision    recall  f1-score   support', ''];
      for (const name of names) {
        const s = c.classes[name];
        lines.push(`${name.padStart(w)} ${f(s.precision)} ${f(s.recall)} ${f(s.f1)} ${String(s.support).padStart(9)}`);
      }
      lines.push('', `${'accuracy'.padStart(w)} ${''.padStart(9)} ${''.padStart(9)} ${f(c.accuracy)} ${String(c.macroAvg.support).padStart(9)}`);
      lines.push(`${'macro avg'.padStart(w)} ${f(c.macroAvg.precision)} ${f(c.macroAvg.recall)} ${f(c.macroAvg.f1)} ${String(c.macroAvg.support).padStart(9)}`);
      lines.push(`${'weighted avg'.padStart(w)} ${f(c.weightedAvg.precision)} ${f(c.weightedAvg.recall)} ${f(c.weightedAvg.f1)} ${String(c.weightedAvg.support).padStart(9)}`);
      lines.push('', 'confusion matrix (rows: true, columns: predicted):', ...c.confusion.map((r) => r.map((v) => String(v).padStart(6)).join('')));
      return lines.join('\n');
    })
    .join('\n\n');
}
