import { readFileSync } from 'node:fs';
import { score, VERSION } from './src/model.js';
import { Tokenizer } from './src/tokenize';
import weights from './weights.json' with { type: 'json' };

const tokenizer = new Tokenizer(readFileSync(new URL('./stopwords.txt', import.meta.url), 'utf8').split('\n'));
export function report() {
  const inputs = ['the cat sat', 'a dog ran far', 'birds sing'];
  return {
    version: VERSION,
    where: import.meta.url,
    weights,
    scores: inputs.map((s) => score(tokenizer.tokens(s), weights)),
  };
}
