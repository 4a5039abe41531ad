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
  return plainName(raw) ?? checkName(raw);
}

/**
 * The answer for a name that is already plain (no control character, backslash or colon, no empty, `.` or `..`
 * segment, short enough whatever its encoding), found in one pass without allocating; `undefined` sends the name
 * to the full check. Zips hold thousands of names, nearly all of them plain.
 */
function plainName(raw: string): NameCheck | undefined {
  const n = raw.length;
  // within both byte limits even at 3 UTF-8 bytes per UTF-16 unit
  if (n === 0 || n > MAX_NAME_BYTES / 3) return undefined;
  const trailingSlash = raw.charCodeAt(n - 1) === 0x2f;
  const end = trailingSlash ? n - 1 : n;
  let start = 0;
  for (let i = 0; i <= end; i++) {
    const c = i < end ? raw.charCodeAt(i) : 0x2f;
    if (c === 0x2f) {
      const length = i - start;
      if (length === 0 || length > MAX_SEGMENT_BYTES / 3) return undefined;
      if (raw.charCodeAt(start) === 0x2e && (length === 1 || (length === 2 && raw.charCodeAt(start + 1) === 0x2e)))
        return undefined;
      start = i + 1;
    } else if (c < 0x20 || c === 0x7f || c === 0x5c || c === 0x3a) return undefined;
  }
  return { ok: true, name: trailingSlash ? raw.slice(0, end) : raw, trailingSlash };
}

function checkName(raw: string): NameCheck {
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
