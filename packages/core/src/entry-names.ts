/**
 * The rules every path inside a snapshot obeys, shared by both sides: the save side leaves out (and reports)
 * files whose names break them, so it never writes a zip the load side refuses; the load side refuses zips
 * with such names before anything is mounted. Pure: no file system, no archive.
 */

/** Why a name was refused, or the normalised name (`a/b.js`, no trailing slash) and whether it ended in `/`. */
export type NameCheck = { ok: true; name: string; trailingSlash: boolean } | { ok: false; reason: string };

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this rejects
export const CONTROL = /[\u0000-\u001f\u007f]/;
export const DRIVE = /^[A-Za-z]:/;
/** Longest name and longest segment accepted, in UTF-8 bytes: Linux's PATH_MAX and NAME_MAX. No file system holds more. */
export const MAX_NAME_BYTES = 4095;
export const MAX_SEGMENT_BYTES = 255;

/** Checks one raw entry name. */
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
  if (Buffer.byteLength(raw) > MAX_NAME_BYTES)
    return { ok: false, reason: `the name is longer than ${MAX_NAME_BYTES} bytes (no file system holds such a path)` };
  const trailingSlash = raw.endsWith('/');
  const body = trailingSlash ? raw.slice(0, -1) : raw;
  const out: string[] = [];
  for (const segment of body.split('/')) {
    if (segment === '') return { ok: false, reason: 'the name has an empty path segment' };
    if (segment === '..') return { ok: false, reason: "the name has a '..' segment" };
    if (segment === '.') continue;
    if (segment.length > MAX_SEGMENT_BYTES / 3 && Buffer.byteLength(segment) > MAX_SEGMENT_BYTES)
      return { ok: false, reason: `a segment of the name is longer than ${MAX_SEGMENT_BYTES} bytes` };
    out.push(segment);
  }
  if (out.length === 0) return { ok: false, reason: 'the name names the root itself' };
  return { ok: true, name: out.join('/'), trailingSlash };
}
