import { createRequire } from 'node:module';

/** wink-tokenizer's token: the text and its tag (`word`, `number`, `punctuation`, `emoji`, ...). */
interface WinkToken {
  value: string;
  tag: string;
}

let tokenizer: { tokenize(text: string): WinkToken[] } | null = null;

/** Contractions wink-tokenizer splits off, mapped to the word they stand for. */
const CONTRACTIONS: Readonly<Record<string, string>> = { "n't": 'not', "'re": 'are', "'ll": 'will', "'ve": 'have', "'m": 'am', "'d": 'would' };

/**
 * Splits an instruction into lower-case word tokens with `wink-tokenizer`
 * (a maintained rule-based English tokenizer): punctuation, symbols and
 * emoji are dropped, numbers kept, contractions expanded (`don't` -> `do
 * not`), so "Step LEFT!" and "step left" give the same tokens.
 */
export function tokenizeInstruction(text: string): string[] {
  tokenizer ??= (createRequire(import.meta.url)('wink-tokenizer') as () => { tokenize(text: string): WinkToken[] })();
  const out: string[] = [];
  for (const t of tokenizer.tokenize(text)) {
    if (t.tag !== 'word' && t.tag !== 'number') continue;
    const v = t.value.toLowerCase();
    out.push(CONTRACTIONS[v] ?? v);
  }
  return out;
}
