/**
 * Sources other than a local zip: a string `scheme:rest` (`wandb:entity/project/run`) given wherever a zip
 * path is expected. Core knows no scheme itself; a package that can fetch one registers an opener, which
 * turns the string into a local zip path (or the zip's bytes). `@codesave/wandb` registers `wandb:` when it
 * is loaded, and the `codesave` CLI loads it.
 */
import { existsSync } from 'node:fs';
import { CodesaveError } from '../errors.js';

/** Fetches what `rest` names (the part after `scheme:`) and returns a local zip path or the zip's bytes. */
export type SourceOpener = (rest: string, source: string) => Promise<string | Uint8Array>;

// One registry per process, even when the ESM and the CommonJS build of core are both loaded.
const REGISTRY = Symbol.for('codesave.sourceOpeners');
const openers: Map<string, SourceOpener> =
  ((globalThis as Record<symbol, unknown>)[REGISTRY] as Map<string, SourceOpener> | undefined) ?? new Map();
(globalThis as Record<symbol, unknown>)[REGISTRY] = openers;

/** Packages that provide an opener, for the error when a scheme is used before its package was loaded. */
const PROVIDERS: Record<string, string> = { wandb: '@codesave/wandb' };

/** `wandb:e/p/r` → `wandb`; two letters at least, so a Windows drive (`C:\x.zip`) is never a scheme. */
const SCHEME = /^([a-z][a-z0-9+.-]+):(?!\/\/)(.*)$/is;

/**
 * Registers `opener` for sources `scheme:…`. Returns a function that removes it again. A second
 * registration of the same scheme replaces the first (the last loaded copy of a package wins).
 */
export function registerSourceOpener(scheme: string, opener: SourceOpener): () => void {
  const key = scheme.toLowerCase().replace(/:$/, '');
  if (!/^[a-z][a-z0-9+.-]+$/.test(key)) {
    throw new CodesaveError(
      'ERR_BAD_OPTION',
      `"${scheme}" is not a source scheme: use letters, digits, "+", "." or "-"`,
    );
  }
  openers.set(key, opener);
  return () => {
    if (openers.get(key) === opener) openers.delete(key);
  };
}

/** The registered scheme `source` uses, or undefined for a plain path. */
export function sourceScheme(source: string): string | undefined {
  const match = SCHEME.exec(source);
  return match && openers.has(match[1]!.toLowerCase()) ? match[1]!.toLowerCase() : undefined;
}

/**
 * A source as a local zip path or bytes: `scheme:rest` through its opener, anything else as it is. A
 * `scheme:` no package registered, naming no existing file, is `ERR_UNKNOWN_SOURCE`.
 */
export async function resolveSource(source: string | Uint8Array): Promise<string | Uint8Array> {
  if (typeof source !== 'string') return source;
  const match = SCHEME.exec(source);
  if (!match) return source;
  const scheme = match[1]!.toLowerCase();
  const opener = openers.get(scheme);
  if (opener) return opener(match[2]!, source);
  if (existsSync(source)) return source;
  const provider = PROVIDERS[scheme];
  throw new CodesaveError(
    'ERR_UNKNOWN_SOURCE',
    `"${source}" is neither a file nor a source codesave knows how to open: ${provider ? `load ${provider} first (import '${provider}') to open ${scheme}: sources` : `no package registered "${scheme}:"`}`,
    { details: { source, scheme } },
  );
}
