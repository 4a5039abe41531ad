export const VERSION: string = 'v1';
export enum Mode { Sum, Mean }
export function score(tokens: readonly string[], w: { bias: number; perToken: number }, mode = Mode.Sum): number {
  const total = tokens.length * w.perToken + w.bias;
  return mode === Mode.Sum ? total : total / Math.max(tokens.length, 1);
}
