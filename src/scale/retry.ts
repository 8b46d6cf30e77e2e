/**
 * Runs `attempt` until it succeeds, waiting `delayMs` between tries: the
 * broker calls of workers and learner ride out a broker restart this way
 * (the NATS client reconnects underneath). `onFailure` hears each failure
 * (log the first); once `giveUp()` is true a failure is rethrown.
 */
export async function retryUntilDone<T>(attempt: () => Promise<T>, opts: { delayMs?: number; onFailure?: (err: unknown, tries: number) => void; giveUp?: () => boolean } = {}): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (err) {
      if (opts.giveUp?.()) throw err;
      opts.onFailure?.(err, tries);
      await new Promise((resolve) => setTimeout(resolve, opts.delayMs ?? 250));
    }
  }
}
