import { readFileSync } from 'node:fs';
import { tokenize } from './tokenize.js';

export type Lexicon = Record<string, number>;

// The lexicon ships next to the code: inside a snapshot this read is served by the codebase's own volume.
const lexicon: Lexicon = JSON.parse(readFileSync(new URL('../data/lexicon.json', import.meta.url), 'utf8'));

export const lexiconSize = Object.keys(lexicon).length;

/** Sum of the lexicon weights of the words in `text`. */
export function score(text: string): number {
  return tokenize(text).reduce((sum, word) => sum + (lexicon[word] ?? 0), 0);
}
