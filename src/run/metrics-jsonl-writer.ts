import { openSync, writeSync, closeSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MetricStream, MetricRow } from '../streams/metrics.js';

/**
 * Appends every metric row to a JSON Lines file (`metrics.jsonl`): one
 * object per line with `global_step`, `wall_s` and the keys the row reports.
 * Appends, so a resumed run continues the same file. Rows are written as
 * they come (a crash loses nothing already emitted).
 */
export class MetricsJsonlWriter {
  private fd: number | null;
  private readonly subscription: { unsubscribe(): void };

  constructor(path: string, stream: MetricStream) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
    this.subscription = stream.subscribe({ next: (row) => this.write(row), complete: () => this.close(), error: () => this.close() });
  }

  private write(row: MetricRow): void {
    if (this.fd !== null) writeSync(this.fd, JSON.stringify(row) + '\n');
  }

  /** Stops listening and closes the file. Idempotent. */
  close(): void {
    this.subscription.unsubscribe();
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}
