import { after } from 'node:test';

/** Anything lamkit opens: env, vector env, server, client, session, renderer (`close()` is idempotent), or a child process. */
export type Closeable = { close(): unknown } | { kill(signal?: NodeJS.Signals): unknown };

const open = new Set<Closeable>();

// Registered when a test file imports this module, so it runs when the file's tests are done, passed or failed.
after(async () => {
  const left = [...open];
  open.clear();
  for (const r of left.reverse()) {
    try {
      await ('close' in r ? r.close() : r.kill('SIGKILL'));
    } catch {
      // A resource a test broke on purpose may refuse to close again; the next one still gets closed.
    }
  }
});

/**
 * Closes `resource` when the test file ends, also when the test that opened
 * it failed before its own `close()` (an assertion throws past it): an open
 * socket, worker thread, browser or child process would otherwise keep the
 * file's process alive and the test runner waiting (issue 9, defect 1). A
 * test still closes what it opens where the order matters; lamkit's
 * `close()` is safe to call twice. Child processes are killed (SIGKILL).
 *
 * ```ts
 * const server = closeAtEnd(await BridgeServer.listen({ port: 0 }));
 * ```
 */
export function closeAtEnd<T extends Closeable>(resource: T): T {
  open.add(resource);
  return resource;
}
