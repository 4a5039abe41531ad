export class Tokenizer {
  constructor(private readonly stop: readonly string[]) {}
  tokens(text: string): string[] {
    return text.split(/\s+/).filter((t) => t && !this.stop.includes(t));
  }
}
