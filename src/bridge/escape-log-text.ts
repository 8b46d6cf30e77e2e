/** Control characters that would break a log line or drive a terminal: C0 (newline, carriage return, escape...), DEL, C1, and the Unicode line/paragraph separators. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Makes text safe to write as ONE log line: every control character is
 * replaced by its escape (`\n`, `\r`, `\t`, else `\u001b`-style), so text
 * a robot supplied (a reason, a space's key, an id) cannot forge log lines
 * or send terminal escape sequences. Text without control characters is
 * returned as it is.
 */
export function escapeLogText(text: string): string {
  return text.replace(CONTROL, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
