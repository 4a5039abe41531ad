// Shared helpers of the snapshot tests: real temp directories, trees written from objects, system unzip.
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after } from 'node:test';

const made: string[] = [];
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary directory, removed after the test file. */
export function tempDir(prefix = 'codesave-snap-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Writes files under `root`: a string is file content; `{ link: target }` makes a symbolic link. */
export function writeTree(root: string, tree: Record<string, string | Buffer | { link: string }>): string {
  for (const [path, value] of Object.entries(tree)) {
    const abs = join(root, path);
    mkdirSync(dirname(abs), { recursive: true });
    if (typeof value === 'object' && !Buffer.isBuffer(value)) symlinkSync(value.link, abs);
    else writeFileSync(abs, value);
  }
  return root;
}

/** Entry names of a zip, in stored order (`unzip -Z1`). */
export function zipNames(zip: string): string[] {
  return execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

/** Extracts a zip with the system `unzip -q` into a new temp dir. */
export function extract(zip: string): string {
  const dir = tempDir('codesave-unzip-');
  execFileSync('unzip', ['-q', zip, '-d', dir]);
  return dir;
}

/** Every file under `dir` (links as `path -> target`), sorted; `.git` and `node_modules` optional. */
export function listTree(dir: string, options: { skip?: string[] } = {}): string[] {
  const out: string[] = [];
  const skip = new Set(options.skip ?? []);
  const visit = (abs: string, rel: string) => {
    for (const d of readdirSync(abs, { withFileTypes: true })) {
      if (skip.has(d.name)) continue;
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isSymbolicLink()) out.push(`${r} -> ${readlinkSync(join(abs, d.name))}`);
      else if (d.isDirectory()) visit(join(abs, d.name), r);
      else out.push(r);
    }
  };
  visit(dir, '');
  return out.sort();
}

/** The names of the project's files stored in a snapshot: without the manifest and the precompiled forms. */
export function storedFiles(zip: string): string[] {
  return zipNames(zip)
    .filter((n) => n !== 'codesave.json' && !n.startsWith('.codesave/precompiled/'))
    .sort();
}

export function read(path: string): string {
  return readFileSync(path, 'utf8');
}
