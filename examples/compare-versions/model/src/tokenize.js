/** Lower-cases and splits on anything that is not a letter. */
exports.tokenize = (text) =>
  text
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter(Boolean);
