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
/** Longest name and longest segment accepted, in UTF-8 bytes: Linux's PATH_MAX and NAME_MAX. No file system holds more. */
export const MAX_NAME_BYTES = 4095;
export const MAX_SEGMENT_BYTES = 255;

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

/** The links of an archive as a tree of path segments, so a lookup costs one segment, not the whole path. */
interface LinkTrie {
  children: Map<string, LinkTrie>;
  target?: string;
}

const tries = new WeakMap<ReadonlyMap<string, string>, LinkTrie>();

function trieOf(links: ReadonlyMap<string, string>): LinkTrie {
  let root = tries.get(links);
  if (root) return root;
  root = { children: new Map() };
  for (const [name, target] of links) {
    let node = root;
    for (const segment of name.split('/')) {
      let child = node.children.get(segment);
      if (!child) node.children.set(segment, (child = { children: new Map() }));
      node = child;
    }
    node.target = target;
  }
  tries.set(links, root);
  return root;
}

/**
 * Resolves a symlink's target inside the archive the way the OS would, following other symlinks of
 * the archive (`links`: normalised name → target). Returns the normalised path it lands on, or
 * throws `ERR_ZIP_UNSAFE_SYMLINK` when any step leaves the root. Linear in the length of the targets
 * followed (at most 40 of them, as the OS allows), whatever the depth of the paths.
 */
export function resolveLinkInside(name: string, links: ReadonlyMap<string, string>, source: string): string {
  const fail = (why: string) =>
    new CodesaveError(
      'ERR_ZIP_UNSAFE_SYMLINK',
      `${source}: symlink entry '${name}' ${why}. Refusing to open it: rebuild the zip without that link ` +
        `(or replace the link with the file it points to, e.g. zip without -y).`,
      { details: { entry: name, target: links.get(name) } },
    );
  const root = trieOf(links);
  let expansions = 0;
  // `stack` is the path so far; `nodes[i]` is the trie node of stack[0..i] (undefined once no link lies below).
  const stack: string[] = name.split('/');
  stack.pop();
  const nodes: (LinkTrie | undefined)[] = [];
  let at: LinkTrie | undefined = root;
  for (const segment of stack) nodes.push((at = at?.children.get(segment)));
  // Resolve `target` relative to the directory in `stack`, following links, leaving the result in `stack`.
  const walk = (target: string): void => {
    if (target === '') throw fail('has an empty target');
    if (target.startsWith('/') || DRIVE.test(target)) throw fail(`points to the absolute path '${target}'`);
    if (target.includes('\\')) throw fail(`has a target with a backslash ('${target}')`);
    if (CONTROL.test(target)) throw fail('has a target with a control character');
    for (const part of target.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (stack.length === 0) throw fail(`points outside the codebase root ('${links.get(name)}')`);
        stack.pop();
        nodes.pop();
        continue;
      }
      const parent = stack.length ? nodes[nodes.length - 1] : root;
      const node = parent?.children.get(part);
      if (node?.target !== undefined) {
        if (++expansions > 40) throw fail('is part of a symlink loop (or a chain longer than 40 links)');
        walk(node.target); // keeps `stack` and `nodes` in step
        continue;
      }
      stack.push(part);
      nodes.push(node);
    }
  };
  walk(links.get(name) ?? '');
  return stack.join('/');
}
