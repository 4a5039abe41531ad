const fs = require('node:fs');
const path = require('node:path');
const { tokenize } = require('./tokenize');

// The lexicon ships next to the code: inside a snapshot this read is served by the codebase's own volume.
const lexicon = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'data', 'lexicon.json'), 'utf8'));

/** Sum of the lexicon weights of the words in `text`. */
function score(text) {
  return tokenize(text).reduce((sum, word) => sum + (lexicon[word] ?? 0), 0);
}

module.exports = { score, lexiconSize: Object.keys(lexicon).length };
