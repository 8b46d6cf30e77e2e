/**
 * Runs `attempt` until it succeeds, waiting `delayMs` between tries: the
 * broker calls of workers and learner ride out a broker restart this way
 * (the NATS client reconnects underneath). `onFailure` hears each failure;
 * once `giveUp()` is true a failure is rethrown.
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

/**
 * A broker call of `who` (`lamkit worker w1`, `lamkit train`) retried until
 * it succeeds: one line when it failed three times in a row (a single miss,
 * e.g. a pull's heartbeat on a loaded machine, is not news), one when it
 * answers again.
 */
export async function brokerCall<T>(call: () => Promise<T>, who: string, log: (line: string) => void, giveUp?: () => boolean): Promise<T> {
  let failed = 0;
  const result = await retryUntilDone(call, {
    giveUp,
    onFailure: (err, tries) => {
      failed = tries;
      if (tries === 3) log(`${who}: the broker does not answer (${(err as Error).message}); retrying`);
    },
  });
  if (failed >= 3) log(`${who}: the broker answers again`);
  return result;
}
