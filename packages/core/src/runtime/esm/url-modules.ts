/**
 * Modules named by URLs other than `file:` and `node:`: `data:` URLs are modules (JavaScript or JSON, as Node
 * decides from the MIME type); any other scheme resolves to itself and is refused when loaded. Pure parsing
 * here; the loader raises the errors in the realm.
 */

/** The URL a specifier is by itself (`new URL(specifier)` succeeds), or `undefined` for a path or a bare name. */
export function absoluteUrl(specifier: string): URL | undefined {
  if (specifier.startsWith('/') || specifier.startsWith('./') || specifier.startsWith('../')) return undefined;
  if (!/^[a-zA-Z][a-zA-Z\d+.-]*:/.test(specifier)) return undefined;
  try {
    return new URL(specifier);
  } catch {
    return undefined;
  }
}

/** Node's MIME type of a `data:` URL (`null` when it names none). */
export function dataUrlMime(url: string): string | null {
  return /^([^/]+\/[^;,]+)(?:[^,]*?)(;base64)?,/.exec(new URL(url).pathname)?.[1] ?? null;
}

/** Node's `mimeToFormat`: JavaScript is an ES module, `application/json` JSON, anything else unknown. */
export function dataUrlFormat(mime: string | null): 'module' | 'json' | undefined {
  if (mime === null) return undefined;
  if (/^\s*(?:text|application)\/javascript\s*(?:;\s*charset=utf-?8\s*)?$/i.test(mime)) return 'module';
  return mime === 'application/json' ? 'json' : undefined;
}

/**
 * The text of a `data:` URL as Node's loader reads it (`decodeURIComponent` of the body, then base64 when
 * marked); `undefined` when the URL does not have the shape of one. A malformed escape throws a URIError.
 */
export function dataUrlText(url: string): string | undefined {
  // The path of the URL: a query or fragment is not part of the module.
  const match = /^[^/]+\/[^,;]+(?:[^,]*?)(;base64)?,([\s\S]*)$/.exec(new URL(url).pathname);
  if (!match) return undefined;
  const body = decodeURIComponent(match[2]!);
  return match[1] ? Buffer.from(body, 'base64').toString('utf8') : body;
}
