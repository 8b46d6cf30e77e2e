import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Compares two tokens in constant time: both are hashed to 32 bytes first,
 * so neither the content nor the length of the expected token leaks through
 * timing, then compared with `crypto.timingSafeEqual`.
 */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/**
 * The token a client presented on the upgrade request: the
 * `Authorization: Bearer <token>` header (Node clients; the scheme name is
 * case-insensitive, RFC 9110 section 11.1), else the `token` query parameter
 * (browsers and roslib cannot set headers). Null if none.
 */
export function tokenOf(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  const bearer = typeof auth === 'string' ? /^bearer +(.*)$/i.exec(auth) : null;
  if (bearer) return bearer[1];
  const url = new URL(req.url ?? '/', 'http://localhost');
  return url.searchParams.get('token');
}
