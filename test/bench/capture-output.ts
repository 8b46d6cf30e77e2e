/**
 * Runs `fn` capturing what it writes to stdout and stderr as text. Writes
 * that are not strings pass through: under `node --test` the runner reports
 * to the parent through this process's stdout (serialized buffers).
 */
export async function captureOutput<T>(fn: () => Promise<T>): Promise<{ value: T; text: string }> {
  const chunks: string[] = [];
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const capture = (orig: typeof out) => ((chunk: unknown, ...rest: never[]) => (typeof chunk === 'string' ? (chunks.push(chunk), true) : orig(chunk as string, ...rest))) as typeof out;
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  try {
    return { value: await fn(), text: chunks.join('') };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
