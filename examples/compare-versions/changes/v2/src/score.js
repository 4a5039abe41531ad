const fs = require('node:fs');
const path = require('node:path');
const { tokenize } = require('./tokenize');

const lexicon = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'data', 'lexicon.json'), 'utf8'));
const NEGATIONS = new Set(['not', 'never', 'no']);

/** v2: a negation flips the sign of the next weighted word. */
function score(text) {
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

module.exports = { score, lexiconSize: Object.keys(lexicon).length };
