import { lexiconSize, score } from './score.js';

export type Label = 'positive' | 'negative' | 'neutral';

export interface Prediction {
  label: Label;
  score: number;
}

/** The model's public face: a label and a score for a text. */
export function predict(text: string): Prediction {
  const value = score(text);
  return { label: value > 0 ? 'positive' : value < 0 ? 'negative' : 'neutral', score: value };
}

export const describe = (): string => `lexicon of ${lexiconSize} words`;
