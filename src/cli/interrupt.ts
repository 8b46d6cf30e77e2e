/**
 * Ctrl-C for every long-running `lamkit` command (train, and pretrain,
 * finetune, imitate, record, bench, ...): one behaviour, written once.
 *
 * - The first Ctrl-C (SIGINT, or SIGTERM from a process manager) asks the
 *   command to stop: {@link Interrupt.requested} turns true and
 *   {@link Interrupt.signal} aborts. One line on stderr says what happens now
 *   (e.g. "stopping after this update; the checkpoint follows") and how to
 *   continue later (the command's `--resume` line).
 * - A second Ctrl-C exits at once (exit code 130), saving nothing more; the
 *   line says so and repeats where the last saved state is.
 *
 * The command checks `requested` at its natural boundary (after an update,
 * an episode, a file), saves what it has, prints how to resume, and sets
 * exit code {@link INTERRUPTED_EXIT_CODE}.
 *
 * A signal is only seen when the event loop gets a turn. A loop of
 * synchronous work (PPO over a `SyncVectorEnv`, `runEpisodes` over a
 * synchronous env and a JS policy) never gives it one by itself: call
 * `await yieldToEventLoop()` at each boundary (PPO's `learn` does, between
 * updates), or pass `signal` and `yieldEvery` to `runEpisodes`.
 *
 * ```ts
 * import { onInterrupt, yieldToEventLoop, INTERRUPTED_EXIT_CODE } from '../interrupt.js';
 *
 * const interrupt = onInterrupt({
 *   command: 'lamkit bench',
 *   stopping: 'stopping after this episode; the partial report follows',
 *   resumeHint: () => `lamkit bench --resume ${outDir}`,
 * });
 * try {
 *   for (const job of jobs) {
 *     if (interrupt.requested) break;
 *     await evaluatePolicy(policy, env, { episodes, seed, signal: interrupt.signal, yieldEvery: 1000 });
 *     await yieldToEventLoop();
 *   }
 * } finally {
 *   interrupt.dispose();
 * }
 * if (interrupt.requested) process.exitCode = INTERRUPTED_EXIT_CODE;
 * ```
 *
 * Tested by test/cli/interrupt.test.ts (in-process, with `exit` injected)
 * and test/cli/train-signals.test.ts (a real `lamkit train` process).
 */

/** Exit code of a command stopped by Ctrl-C (128 + SIGINT, as shells report it). */
export const INTERRUPTED_EXIT_CODE = 130;

/** Options of {@link onInterrupt}. */
export interface InterruptOptions {
  /** The command in messages, e.g. `lamkit train`. */
  command: string;
  /** What the command does after the first Ctrl-C, e.g. `stopping after this update; the checkpoint follows`. */
  stopping: string;
  /**
   * How to continue later, e.g. `lamkit train --resume runs/x`; printed after
   * the first and the second Ctrl-C. A function, because the value may be
   * known only once the command is running. Undefined: nothing printed.
   */
  resumeHint?: () => string | undefined;
  /** Signals handled. Default SIGINT and SIGTERM. */
  signals?: readonly NodeJS.Signals[];
  /** Where the lines go. Default: stderr. */
  write?: (text: string) => void;
  /** What the second signal calls. Default: `process.exit(code)` (tests inject their own). */
  exit?: (code: number) => void;
}

/** A command's view of Ctrl-C, from {@link onInterrupt}. */
export interface Interrupt {
  /** True once the user asked to stop (first Ctrl-C). */
  readonly requested: boolean;
  /** Aborts at the first Ctrl-C (for `runEpisodes`, fetch, timers). */
  readonly signal: AbortSignal;
  /** Removes the signal handlers (Ctrl-C then kills the process as usual). Idempotent. */
  dispose(): void;
}

/**
 * Installs the Ctrl-C handlers of a long-running command until
 * `dispose()`; see the module note. While installed, SIGINT no longer kills
 * the process by itself: the command must check `requested` (or `signal`)
 * and yield to the event loop at its boundaries.
 */
export function onInterrupt(options: InterruptOptions): Interrupt {
  const write = options.write ?? ((text: string) => void process.stderr.write(text));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  const controller = new AbortController();
  let count = 0;
  let disposed = false;
  const hint = (prefix: string): string => {
    const h = options.resumeHint?.();
    return h ? `${prefix}${h}` : '';
  };
  const handler = (sig: NodeJS.Signals): void => {
    count++;
    if (count === 1) {
      write(`\n${options.command}: ${sig === 'SIGINT' ? 'Ctrl-C' : sig}: ${options.stopping} (Ctrl-C again to exit at once)${hint('; continue later with: ')}\n`);
      controller.abort(new Error(`${options.command} interrupted by ${sig}`));
      return;
    }
    write(`\n${options.command}: exiting at once; nothing more is saved${hint('; continue from the last saved state with: ')}\n`);
    exit(INTERRUPTED_EXIT_CODE);
  };
  for (const s of signals) process.on(s, handler);
  return {
    get requested() {
      return count > 0;
    },
    signal: controller.signal,
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const s of signals) process.removeListener(s, handler);
    },
  };
}

/**
 * Lets the event loop run once (signals, timers such as a progress line,
 * sockets): resolves from a `setImmediate`. Costs a few microseconds; call
 * it between units of synchronous work (an update, an episode).
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
