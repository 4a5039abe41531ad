/**
 * `codesave diff`: what changed between two snapshots — files added, removed and changed (lines + and −),
 * unified diffs of text files, dependency versions, and the environment each was saved from.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { type Archive, openArchive, readArchiveManifest } from '../archive/index.js';
import { MANIFEST_NAME, type Manifest } from '../snapshot/index.js';
import { diffLines, unifiedHunks } from './line-diff.js';

/** One file that differs. Lines are counted for text files only. */
export interface FileChange {
  path: string;
  status: 'added' | 'removed' | 'changed';
  binary: boolean;
  added: number;
  removed: number;
  sizeBefore?: number;
  sizeAfter?: number;
  /** Unified diff (`--- a/… +++ b/… @@ …`) of a text file, when asked for. */
  patch?: string;
}

interface Side {
  source: string;
  snapshot: boolean;
  createdAt?: string;
  node?: string;
  platform?: string;
  arch?: string;
  git?: { commit: string; branch: string | null; dirty: boolean };
  contentHash?: string;
}

/** What differs between two snapshots. */
export interface DiffSummary {
  a: Side;
  b: Side;
  files: FileChange[];
  unchanged: number;
  dependencies: { name: string; before: string | null; after: string | null }[];
}

/** Compares two snapshots (zip paths or directories, the latter snapshotted in memory). */
export async function diffSnapshots(a: string, b: string, options: { patch?: boolean } = {}): Promise<DiffSummary> {
  const archiveA = await openSide(a);
  let archiveB: Archive;
  try {
    archiveB = await openSide(b);
  } catch (error) {
    archiveA.close();
    throw error;
  }
  try {
    return compareArchives(a, archiveA, b, archiveB, options.patch ?? false);
  } finally {
    archiveA.close();
    archiveB.close();
  }
}

async function openSide(source: string): Promise<Archive> {
  const info = await stat(source).catch(() => undefined);
  // the save side is loaded only when a side is a directory (a chunk of its own in the dist)
  if (info?.isDirectory()) return openArchive((await (await import('./versions.js')).snapshotInMemory(source)).bytes);
  return openArchive(source);
}

function sideOf(source: string, manifest: Manifest | undefined): Side {
  return {
    source,
    snapshot: manifest !== undefined,
    ...(manifest
      ? {
          createdAt: manifest.createdAt,
          node: manifest.node.version,
          platform: manifest.node.platform,
          arch: manifest.node.arch,
          contentHash: manifest.contentHash,
          ...(manifest.git
            ? { git: { commit: manifest.git.commit, branch: manifest.git.branch, dirty: manifest.git.dirty } }
            : {}),
        }
      : {}),
  };
}

const SKIP = new Set([MANIFEST_NAME]);
const PRECOMPILED_DIR = '.codesave/precompiled';

function files(archive: Archive, hasForms: boolean): Map<string, { size: number; hash: () => string }> {
  const out = new Map<string, { size: number; hash: () => string }>();
  for (const entry of archive.entries.values()) {
    // Precompiled forms are derived from the files compared (and named by hash): they are not changes of their own.
    if (
      entry.type === 'directory' ||
      SKIP.has(entry.name) ||
      (hasForms && entry.name.startsWith(`${PRECOMPILED_DIR}/`))
    )
      continue;
    let hash: string | undefined;
    out.set(entry.name, {
      size: entry.size,
      hash: () => (hash ??= createHash('sha256').update(archive.read(entry.name)).digest('hex')),
    });
  }
  return out;
}

function compareArchives(a: string, archiveA: Archive, b: string, archiveB: Archive, patch: boolean): DiffSummary {
  const manifestA = readArchiveManifest(archiveA);
  const manifestB = readArchiveManifest(archiveB);
  const filesA = files(archiveA, manifestA?.precompiled !== undefined);
  const filesB = files(archiveB, manifestB?.precompiled !== undefined);
  const hashA = new Map(manifestA?.files.map((f) => [f.path, f.sha256]));
  const hashB = new Map(manifestB?.files.map((f) => [f.path, f.sha256]));
  const changes: FileChange[] = [];
  let unchanged = 0;
  const names = [...new Set([...filesA.keys(), ...filesB.keys()])].sort();
  for (const name of names) {
    const fa = filesA.get(name);
    const fb = filesB.get(name);
    if (fa && fb) {
      const same = fa.size === fb.size && (hashA.get(name) ?? fa.hash()) === (hashB.get(name) ?? fb.hash());
      if (same) {
        unchanged++;
        continue;
      }
    }
    const before = fa ? archiveA.read(name) : undefined;
    const after = fb ? archiveB.read(name) : undefined;
    const binary = (before !== undefined && isBinary(before)) || (after !== undefined && isBinary(after));
    const change: FileChange = {
      path: name,
      status: !fa ? 'added' : !fb ? 'removed' : 'changed',
      binary,
      added: 0,
      removed: 0,
      ...(fa ? { sizeBefore: fa.size } : {}),
      ...(fb ? { sizeAfter: fb.size } : {}),
    };
    if (!binary) {
      const edits = diffLines(splitLines(before), splitLines(after));
      for (const e of edits) {
        if (e.op === '+') change.added++;
        else if (e.op === '-') change.removed++;
      }
      if (patch && (change.added || change.removed)) {
        change.patch = [
          `--- ${fa ? `a/${name}` : '/dev/null'}`,
          `+++ ${fb ? `b/${name}` : '/dev/null'}`,
          ...unifiedHunks(edits),
        ].join('\n');
      }
    }
    changes.push(change);
  }
  const depsA = manifestA?.dependencies ?? {};
  const depsB = manifestB?.dependencies ?? {};
  const dependencies = [...new Set([...Object.keys(depsA), ...Object.keys(depsB)])]
    .sort()
    .filter((name) => depsA[name] !== depsB[name])
    .map((name) => ({
      name,
      before: Object.hasOwn(depsA, name) ? depsA[name] : null,
      after: Object.hasOwn(depsB, name) ? depsB[name] : null,
    }));
  return { a: sideOf(a, manifestA), b: sideOf(b, manifestB), files: changes, unchanged, dependencies };
}

function splitLines(bytes: Buffer | undefined): string[] {
  if (!bytes || bytes.length === 0) return [];
  const text = bytes.toString('utf8');
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function isBinary(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 8000);
  if (head.includes(0)) return true;
  return !Buffer.from(head.toString('utf8'), 'utf8').equals(head) && bytes.length <= 8000;
}

/** The whole diff as a patch text (the `--patch` output). */
export function renderPatch(summary: DiffSummary): string {
  return summary.files
    .filter((f) => f.patch)
    .map((f) => f.patch)
    .join('\n');
}
