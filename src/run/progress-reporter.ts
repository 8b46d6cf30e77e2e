import cliProgress from 'cli-progress';
import type { MetricStream } from '../streams/metrics.js';

/** Steps per second for the bar: whole numbers from 10 up, two significant digits below (a 2 s step reads 0.50, not 0). */
export function formatRate(x: number): string {
  if (!Number.isFinite(x)) return '-';
  return Math.abs(x) >= 10 ? String(Math.round(x)) : x.toPrecision(2);
}

/**
 * A progress bar on stderr (cli-progress) fed by the metric stream: steps
 * out of the total, the mean return of the last 20 episodes (or, for runs
 * without episodes such as fine-tuning, the latest loss), steps/s (the
 * run's `perf/sps`, else measured by the bar). When stderr is not a
 * terminal it prints a plain line every few seconds.
 */
export class ProgressReporter {
  private readonly bar: cliProgress.SingleBar;
  private readonly recent: number[] = [];
  private readonly subscription: { unsubscribe(): void };
  private stopped = false;

  constructor(stream: MetricStream, totalSteps: number, startStep: number, label: string) {
    this.bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: `${label} [{bar}] {percentage}% | {value}/{total} steps | {headline} | {sps} sps | eta {eta_formatted}`,
        noTTYOutput: true,
        notTTYSchedule: 5000,
        hideCursor: false,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(totalSteps, startStep, { headline: '-', sps: '-' });
    const t0 = performance.now();
    let lossName = '';
    let loss = NaN;
    this.subscription = stream.subscribe({
      next: (row) => {
        const r = row['charts/episodic_return'];
        if (r !== undefined) {
          this.recent.push(r);
          if (this.recent.length > 20) this.recent.shift();
        }
        for (const key of Object.keys(row)) {
          if (key.startsWith('losses/') && Number.isFinite(row[key])) {
            lossName = key.slice('losses/'.length);
            loss = row[key]!;
          }
        }
        const mean = this.recent.length > 0 ? this.recent.reduce((a, b) => a + b, 0) / this.recent.length : NaN;
        const headline = !Number.isNaN(mean) || Number.isNaN(loss) ? `return(20) ${Number.isNaN(mean) ? '-' : mean.toFixed(1)}` : `${lossName} ${loss.toPrecision(4)}`;
        const elapsed = (performance.now() - t0) / 1000;
        const measured = elapsed > 0 && row.global_step > startStep ? (row.global_step - startStep) / elapsed : undefined;
        const sps = row['perf/sps'] ?? measured;
        this.bar.update(Math.min(row.global_step, totalSteps), { headline, ...(sps !== undefined ? { sps: formatRate(sps) } : {}) });
      },
      complete: () => this.stop(),
      // The training call rejects with the error; the bar only has to get out of the way.
      error: () => this.stop(),
    });
  }

  /** Stops the bar. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.subscription.unsubscribe();
    this.bar.stop();
  }
}
