import { readFileSync } from 'node:fs';
import { tokenize } from './tokenize.js';

export type Lexicon = Record<string, number>;

const lexicon: Lexicon = JSON.parse(readFileSync(new URL('../data/lexicon.json', import.meta.url), 'utf8'));
const NEGATIONS = new Set(['not', 'never', 'no']);

export const lexiconSize = Object.keys(lexicon).length;

/** v2: a negation flips the sign of the next weighted word. */
export function score(text: string): number {
  let sum = 0;
  let negate = false;
  for (const word of tokenize(text)) {
    if (NEGATIONS.has(word)) {
      negate = true;
      continue;
    }
    const weight = lexicon[word] ?? 0;
    sum += negate ? -weight : weight;
    if (weight !== 0) negate = false;
  }
  return sum;
}
