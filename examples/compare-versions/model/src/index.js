const { score, lexiconSize } = require('./score');

/** The model's public face: a label and a score for a text. */
exports.predict = (text) => {
  const value = score(text);
  return { label: value > 0 ? 'positive' : value < 0 ? 'negative' : 'neutral', score: value };
};
exports.describe = () => `lexicon of ${lexiconSize} words`;
