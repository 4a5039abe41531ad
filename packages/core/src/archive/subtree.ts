/**
 * Zips made by other tools often hold one folder with the project in it (`zip -r proj.zip proj`, the Python
 * tool's UniqueCodebase prefix layout). Without a codesave.json at the root, such a folder is the root.
 */
import { MANIFEST_NAME } from '../snapshot/manifest.js';
import type { Archive, ArchiveEntry } from './archive.js';

/** Folders some zip tools add beside the content (macOS Finder's resource forks). */
const TOOL_FOLDERS = new Set(['__MACOSX']);

/**
 * The single top-level folder holding every entry of `archive`, when it has no codesave.json at its root and
 * no file beside that folder; else `undefined`.
 */
export function singleTopLevelFolder(archive: Archive): string | undefined {
  if (archive.entries.has(MANIFEST_NAME)) return undefined;
  let top: string | undefined;
  for (const name of archive.entries.keys()) {
    const slash = name.indexOf('/');
    const first = slash < 0 ? name : name.slice(0, slash);
    if (TOOL_FOLDERS.has(first)) continue;
    if (slash < 0 && archive.entries.get(name)?.type !== 'directory') return undefined;
    if (top !== undefined && top !== first) return undefined;
    top = first;
  }
  return top !== undefined && archive.entries.get(top)?.type !== 'symlink' ? top : undefined;
}

/** `archive` seen from inside `folder`: entry names without the `folder/` prefix; reads go to the full names. */
export function subtreeArchive(archive: Archive, folder: string): Archive {
  const prefix = `${folder}/`;
  const entries = new Map<string, ArchiveEntry>();
  for (const [name, entry] of archive.entries) {
    if (name.startsWith(prefix)) entries.set(name.slice(prefix.length), { ...entry, name: name.slice(prefix.length) });
  }
  return {
    source: archive.source,
    entries,
    totalSize: archive.totalSize,
    read: (name) => archive.read(prefix + name),
    keep: (name, bytes) => archive.keep(prefix + name, bytes),
    expectDigests: (digests, mismatch) =>
      archive.expectDigests(
        (name) => (name.startsWith(prefix) ? digests(name.slice(prefix.length)) : undefined),
        (name) => mismatch(name.slice(prefix.length)),
      ),
    checkedDigest: (name) => archive.checkedDigest(prefix + name),
    close: () => archive.close(),
  };
}
