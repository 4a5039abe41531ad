/** `codesave ls <zip>`: what a snapshot holds — manifest summary, file tree, sizes. */
import { stat } from 'node:fs/promises';
import {
  type Archive,
  MANIFEST_NAME,
  type Manifest,
  minimalManifest,
  openArchive,
  readArchiveManifest,
  verifyArchive,
} from '@codesave/core';
import { type Command, parseCommandArgs, printable, UsageError } from '../command.js';
import { formatBytes } from '../progress.js';

const usage = `Usage: codesave ls <zip> [options]

Shows what a snapshot holds: its manifest (when, from where, which Node and git commit), and its files as a
tree with sizes.

Options:
      --depth <n>   show the tree only n levels deep (directories deeper are summed up)
      --verify      check every file against the manifest's sha256 (exit 1 if one differs)
      --json        print { zip, manifest, entries } as JSON
  -h, --help        show this help

Exit codes: 0 listed (and with --verify, every file matched), 1 bad arguments, a missing or unreadable
zip, or with --verify a file that differs from the manifest, 2 internal error.`;

export const ls: Command = {
  name: 'ls',
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, flags);
    if (positionals.length !== 1) throw new UsageError('pass exactly one zip');
    const depth = values.depth === undefined ? Number.POSITIVE_INFINITY : Number(values.depth);
    if (values.depth !== undefined && (!Number.isInteger(depth) || depth < 1))
      throw new UsageError('--depth needs a whole number ≥ 1');
    const zip = positionals[0];
    const archive = await openArchive(zip);
    try {
      const stored = readArchiveManifest(archive);
      const isSnapshot = stored !== undefined;
      const manifest =
        stored ??
        minimalManifest([...archive.entries.values()].filter((e) => e.type !== 'directory').map((e) => e.name));
      if (values.verify) verifyArchive(archive, manifest);
      const zipBytes = (await stat(zip)).size;
      const entries = [...archive.entries.values()]
        .filter((e) => e.type !== 'directory' && e.name !== MANIFEST_NAME)
        .map((e) => ({ path: e.name, size: e.size, type: e.type, ...(e.linkTarget ? { link: e.linkTarget } : {}) }))
        .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      if (values.json) {
        const out = {
          zip: { path: zip, bytes: zipBytes },
          snapshot: isSnapshot,
          verified: values.verify ?? false,
          manifest,
          entries,
        };
        console.log(JSON.stringify(out, null, 2));
        return 0;
      }
      // a manifest is data from the zip: whatever it says is shown, never sent raw to the terminal
      console.log(printable(describe(zip, zipBytes, isSnapshot, manifest, archive, values.verify ?? false)));
      console.log();
      // Precompiled forms (thousands of hashed names) are summed up in the header, not listed one by one.
      const listed = manifest.precompiled
        ? entries.filter((e) => !e.path.startsWith('.codesave/precompiled/'))
        : entries;
      console.log(tree(listed, depth));
      return 0;
    } finally {
      archive.close();
    }
  },
};

const flags = {
  depth: { type: 'string' },
  verify: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

function describe(
  zip: string,
  zipBytes: number,
  isSnapshot: boolean,
  m: Manifest,
  archive: Archive,
  verified: boolean,
) {
  const content = [...archive.entries.values()].reduce(
    (sum, e) => sum + (e.type !== 'directory' && e.name !== MANIFEST_NAME ? e.size : 0),
    0,
  );
  const count = [...archive.entries.values()].filter((e) => e.type !== 'directory' && e.name !== MANIFEST_NAME).length;
  const lines = [`${zip}: ${plural(count, 'file')}, ${formatBytes(content)} (${formatBytes(zipBytes)} zipped)`];
  if (!isSnapshot) {
    lines.push(`  not a codesave snapshot (no ${MANIFEST_NAME}): nothing to verify`);
    return lines.join('\n');
  }
  const row = (key: string, value: string) => lines.push(`  ${`${key}:`.padEnd(13)} ${value}`);
  row('saved', `${m.createdAt} by ${m.tool.name} ${m.tool.version}`);
  row('roots', m.roots.join(', '));
  if (m.importNames.length) row('import names', m.importNames.join(', '));
  row('node', `${m.node.version} ${m.node.platform}-${m.node.arch}`);
  row('packages', `${m.packageManager.name}${m.packageManager.lockfile ? ` (${m.packageManager.lockfile})` : ''}`);
  const deps = Object.entries(m.dependencies);
  if (deps.length) {
    const shown = deps.slice(0, 8).map(([name, version]) => `${name}@${version}`);
    row(
      'dependencies',
      `${shown.join(', ')}${deps.length > shown.length ? `, … ${deps.length - shown.length} more` : ''}`,
    );
  }
  if (m.git) {
    row(
      'git',
      `${m.git.commit.slice(0, 12)}${m.git.branch ? ` on ${m.git.branch}` : ' (detached)'}${m.git.dirty ? `, dirty (diff in ${m.git.patch})` : ', clean'}`,
    );
  }
  const opts = m.options as Record<string, unknown> | undefined;
  const on = opts ? Object.entries(opts).filter(([, v]) => v !== false && v !== undefined) : [];
  if (on.length)
    row('options', on.map(([k, v]) => (v === true ? k : `${k}=${Array.isArray(v) ? v.join(' ') : v}`)).join(', '));
  if (m.skipped?.count)
    row('skipped', `${m.skipped.count} files (${formatBytes(m.skipped.bytes)}) left out by filters`);
  if (m.precompiled)
    row(
      'precompiled',
      `${plural(m.precompiled.forms, 'form')} (${formatBytes(m.precompiled.bytes)}) of transform v${m.precompiled.transformVersion} in .codesave/precompiled/`,
    );
  row('content', `sha256 ${m.contentHash}${verified ? ' (every file verified)' : ''}`);
  return lines.join('\n');
}

interface Node {
  name: string;
  size: number;
  files: number;
  link?: string;
  children?: Map<string, Node>;
}

/** An indented tree; directories show their file count and total size; past `depth`, directories are summed. */
export function tree(entries: { path: string; size: number; link?: string }[], depth: number): string {
  const root: Node = { name: '', size: 0, files: 0, children: new Map() };
  for (const entry of entries) {
    const parts = entry.path.split('/');
    let node = root;
    node.size += entry.size;
    node.files++;
    for (const [i, part] of parts.entries()) {
      const last = i === parts.length - 1;
      let child = node.children!.get(part);
      if (!child) {
        child = last ? { name: part, size: 0, files: 0 } : { name: part, size: 0, files: 0, children: new Map() };
        node.children!.set(part, child);
      }
      child.size += entry.size;
      child.files++;
      if (last && entry.link) child.link = entry.link;
      node = child;
    }
  }
  const lines: string[] = [];
  const walk = (node: Node, prefix: string, level: number) => {
    const children = [...node.children!.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    children.forEach((child, i) => {
      const last = i === children.length - 1;
      const branch = last ? '└── ' : '├── ';
      if (child.children) {
        lines.push(
          `${prefix}${branch}${printable(child.name)}/  (${plural(child.files, 'file')}, ${formatBytes(child.size)})`,
        );
        if (level < depth) walk(child, prefix + (last ? '    ' : '│   '), level + 1);
      } else if (child.link !== undefined) {
        lines.push(`${prefix}${branch}${printable(child.name)} -> ${printable(child.link)}`);
      } else {
        lines.push(`${prefix}${branch}${printable(child.name)}  ${formatBytes(child.size)}`);
      }
    });
  };
  lines.push(`.  (${plural(root.files, 'file')}, ${formatBytes(root.size)})`);
  walk(root, '', 1);
  return lines.join('\n');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
