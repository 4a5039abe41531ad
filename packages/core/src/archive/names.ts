/**
 * Entry-name rules. A zip stores names as raw bytes chosen by whoever wrote it; before anything is
 * mounted every name must be a plain relative path that stays inside the codebase root.
 */
import { CodesaveError } from '../errors.js';

/** Why a name was refused, or the normalised name (`a/b.js`, no trailing slash) and whether it ended in `/`. */
export type NameCheck = { ok: true; name: string; trailingSlash: boolean } | { ok: false; reason: string };

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this rejects
const CONTROL = /[\u0000-\u001f\u007f]/;
const DRIVE = /^[A-Za-z]:/;

/** Checks one raw entry name. Pure: no file system, no archive. */
export function checkEntryName(raw: string): NameCheck {
  if (raw.length === 0) return { ok: false, reason: 'the name is empty' };
  const control = CONTROL.exec(raw);
  if (control)
    return {
      ok: false,
      reason: `the name contains the control character U+${control[0].charCodeAt(0).toString(16).padStart(4, '0')}`,
    };
  if (raw.includes('\\')) return { ok: false, reason: 'the name contains a backslash' };
  if (raw.startsWith('/')) return { ok: false, reason: 'the name is an absolute path' };
  if (DRIVE.test(raw)) return { ok: false, reason: 'the name starts with a drive letter' };
  const trailingSlash = raw.endsWith('/');
  const body = trailingSlash ? raw.slice(0, -1) : raw;
  const out: string[] = [];
  for (const segment of body.split('/')) {
    if (segment === '') return { ok: false, reason: 'the name has an empty path segment' };
    if (segment === '..') return { ok: false, reason: "the name has a '..' segment" };
    if (segment === '.') continue;
    out.push(segment);
  }
  if (out.length === 0) return { ok: false, reason: 'the name names the root itself' };
  return { ok: true, name: out.join('/'), trailingSlash };
}

/**
 * Resolves a symlink's target inside the archive the way the OS would, following other symlinks of
 * the archive (`links`: normalised name → target). Returns the normalised path it lands on, or
 * throws `ERR_ZIP_UNSAFE_SYMLINK` when any step leaves the root.
 */
export function resolveLinkInside(name: string, links: ReadonlyMap<string, string>, source: string): string {
  const fail = (why: string) =>
    new CodesaveError(
      'ERR_ZIP_UNSAFE_SYMLINK',
      `${source}: symlink entry '${name}' ${why}. Refusing to open it: rebuild the zip without that link ` +
        `(or replace the link with the file it points to, e.g. zip without -y).`,
      { details: { entry: name, target: links.get(name) } },
    );
  let expansions = 0;
  // Resolve `target` relative to the directory `dir` (list of segments), following links in `links`.
  const walk = (dir: string[], target: string): string[] => {
    if (target === '') throw fail('has an empty target');
    if (target.startsWith('/') || DRIVE.test(target)) throw fail(`points to the absolute path '${target}'`);
    if (target.includes('\\')) throw fail(`has a target with a backslash ('${target}')`);
    if (CONTROL.test(target)) throw fail('has a target with a control character');
    const stack = dir.slice();
    const parts = target.split('/');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (stack.length === 0) throw fail(`points outside the codebase root ('${links.get(name)}')`);
        stack.pop();
        continue;
      }
      stack.push(part);
      const here = stack.join('/');
      const next = links.get(here);
      if (next !== undefined) {
        if (++expansions > 40) throw fail('is part of a symlink loop (or a chain longer than 40 links)');
        stack.pop();
        const landed = walk(stack, next);
        stack.length = 0;
        stack.push(...landed);
      }
    }
    return stack;
  };
  const segments = name.split('/');
  segments.pop();
  return walk(segments, links.get(name) ?? '').join('/');
}
