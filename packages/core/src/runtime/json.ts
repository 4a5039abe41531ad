/**
 * JSON files as Node's loaders read them (`require`, the ESM JSON translator, package.json reads), in one
 * place: a leading byte order mark is not part of the JSON (Node's `stripBOM`).
 */

/** `parse` of `text` without its byte order mark; `parse` is the JSON.parse of the realm the value is for. */
export function parseJsonText(text: string, parse: (text: string) => unknown): unknown {
  return parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}
