import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { findNatsServer } from '../../agents/scale/local-nats-server.js';
import { closeAtEnd } from '../helpers/close-at-end.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));

/**
 * `skip` option for tests that need a real nats-server: run when it is
 * found, and always under `CI=true`, where a missing server must fail the
 * test (LocalNatsServer.start throws, naming the apt package) rather than
 * skip it; on a developer machine without it, the reason to skip.
 */
export function natsSkip(): string | false {
  if (findNatsServer() || process.env.CI === 'true') return false;
  return 'nats-server not found (PATH, /usr/sbin or $LAMKIT_NATS_SERVER): apt-get install -y nats-server to run the scale-out tests (CI=true makes them fail instead)';
}

/** A `lamkit` CLI process (closed at the end of the file even if the test fails). */
export interface CliProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `lamkit <args>` in its own process (real signals: SIGKILL is a crash). */
export function lamkit(args: string[], env: NodeJS.ProcessEnv = process.env): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env });
  closeAtEnd(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (err += String(d)));
  // 'close', not 'exit': the process ended and its stdout/stderr are read to the end (the last line is in stdout()).
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** `published N rollouts` from a worker's last line. */
export function publishedCount(stdout: string): number {
  const m = /published (\d+) rollouts/.exec(stdout);
  if (!m) throw new Error(`no 'published N rollouts' line in:\n${stdout}`);
  return Number(m[1]);
}

/** The complete rows of a run's metrics.jsonl (a line being written is left out). */
export function metricRows(outDir: string): Array<Record<string, number>> {
  const lines = readFileSync(`${outDir}/metrics.jsonl`, 'utf8').split('\n');
  lines.pop(); // after the last newline: '' or a partial row
  return lines.map((l) => JSON.parse(l) as Record<string, number>);
}

/** Best mean of 20 consecutive episode returns, and the mean of the first 20. */
export function returnWindows(rows: Array<Record<string, number>>): { best20: number; first20: number } {
  const r = rows.filter((x) => x['charts/episodic_return'] !== undefined).map((x) => x['charts/episodic_return']);
  let best20 = -Infinity;
  for (let i = 20; i <= r.length; i++) best20 = Math.max(best20, r.slice(i - 20, i).reduce((a, b) => a + b, 0) / 20);
  return { best20, first20: r.slice(0, 20).reduce((a, b) => a + b, 0) / Math.min(20, r.length) };
}

/**
 * Ends a learning run as soon as it passed its test: polls `outDir`'s
 * metrics.jsonl and, once the best mean of 20 consecutive episodes reaches
 * `threshold`, asks the learner to stop as Ctrl-C does (its SIGINT handler:
 * it stops after the current update, saves and returns `interrupted`).
 * The test's criterion is unchanged (the best 20-episode mean within the
 * budget); only the steps after it was met are saved (issue 9: suite time;
 * CartPole-v1 through the broker reached 475 at ~31,500 of 120,000 steps).
 * Call the returned function once the run ended (it stops the polling);
 * `fired()` says whether the stop was requested.
 */
export function stopWhenLearned(outDir: string, threshold: number, everyMs = 500): { fired: () => boolean; dispose: () => void } {
  let fired = false;
  const timer = setInterval(() => {
    if (fired) return;
    let rows: Array<Record<string, number>>;
    try {
      rows = metricRows(outDir);
    } catch {
      return; // metrics.jsonl not written yet
    }
    if (returnWindows(rows).best20 >= threshold) {
      fired = true;
      clearInterval(timer);
      process.emit('SIGINT', 'SIGINT');
    }
  }, everyMs);
  return { fired: () => fired, dispose: () => clearInterval(timer) };
}
