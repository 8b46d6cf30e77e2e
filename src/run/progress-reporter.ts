import cliProgress from 'cli-progress';
import type { MetricStream } from '../streams/metrics.js';

/**
 * A progress bar on stderr (cli-progress) fed by the metric stream: env
 * steps out of the total, mean return of the last 20 episodes, steps/s.
 * When stderr is not a terminal it prints a plain line every few seconds.
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
        format: `${label} [{bar}] {percentage}% | {value}/{total} steps | return(20) {ret} | {sps} sps | eta {eta_formatted}`,
        noTTYOutput: true,
        notTTYSchedule: 5000,
        hideCursor: false,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(totalSteps, startStep, { ret: '-', sps: '-' });
    this.subscription = stream.subscribe({
      next: (row) => {
        const r = row['charts/episodic_return'];
        if (r !== undefined) {
          this.recent.push(r);
          if (this.recent.length > 20) this.recent.shift();
        }
        const mean = this.recent.length > 0 ? this.recent.reduce((a, b) => a + b, 0) / this.recent.length : NaN;
        this.bar.update(Math.min(row.global_step, totalSteps), {
          ret: Number.isNaN(mean) ? '-' : mean.toFixed(1),
          ...(row['perf/sps'] !== undefined ? { sps: row['perf/sps'] } : {}),
        });
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
