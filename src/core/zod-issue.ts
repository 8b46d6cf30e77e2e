/**
 * The "expected X" of a zod validation issue, in the words of the house
 * error format (`Where.what: expected X, got Y. How to fix.`): zod's own
 * messages already start with "Invalid input: expected ..." or "Too big:
 * expected ...", and pasted into the house format they read "expected
 * expected number, received string". Typed structurally, so this file does
 * not import zod.
 *
 * - `invalid_type` -> `a number`, `an integer`, `a boolean`, ...
 * - `too_big` / `too_small` -> `a number <= 1`, `a number > 0`, `at most 3 items`
 * - `invalid_value` -> `one of "a", "b"`
 * - anything else -> zod's message with its "Invalid input: " prefix removed
 */
export function expectedOfIssue(issue: ZodIssueLike): string {
  switch (issue.code) {
    case 'invalid_type': {
      const t = String(issue.expected);
      const named: Record<string, string> = { int: 'an integer', number: 'a number', boolean: 'a boolean (true or false)', string: 'a string', object: 'an object', array: 'an array', null: 'null' };
      return named[t] ?? `a value of type ${t}`;
    }
    case 'too_big':
    case 'too_small': {
      const big = issue.code === 'too_big';
      const bound = big ? issue.maximum : issue.minimum;
      const op = big ? (issue.inclusive === false ? '<' : '<=') : issue.inclusive === false ? '>' : '>=';
      if (issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint') return `a number ${op} ${String(bound)}`;
      const unit = issue.origin === 'string' ? 'characters' : 'items';
      return `${big ? 'at most' : 'at least'} ${String(bound)} ${unit}`;
    }
    case 'invalid_value':
      if (Array.isArray(issue.values)) return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
      break;
    case 'not_multiple_of':
      return `a multiple of ${String(issue.divisor)}`;
  }
  return issue.message.replace(/^Invalid input: /, '').replace(/^expected /, '');
}

/** The fields of a zod issue that {@link expectedOfIssue} reads. */
export interface ZodIssueLike {
  code: string;
  message: string;
  expected?: unknown;
  maximum?: unknown;
  minimum?: unknown;
  inclusive?: boolean;
  origin?: string;
  values?: unknown[];
  divisor?: unknown;
}
