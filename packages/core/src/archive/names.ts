/**
 * Entry-name rules. A zip stores names as raw bytes chosen by whoever wrote it; before anything is
 * mounted every name must be a plain relative path that stays inside the codebase root.
 */
import { CONTROL, DRIVE } from '../entry-names.js';
import { CodesaveError } from '../errors.js';

export { checkEntryName, MAX_NAME_BYTES, MAX_SEGMENT_BYTES, type NameCheck } from '../entry-names.js';

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
