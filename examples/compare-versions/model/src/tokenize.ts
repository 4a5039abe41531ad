/** Lower-cases and splits on anything that is not a letter. */
export const tokenize = (text: string): string[] =>
  text
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter(Boolean);
