// Shared by the codebase-* and runtime-* tests: temporary project folders and their zips.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { checkpoint } from '../src/index.ts';

const made: string[] = [];
after(() => {
  for (const dir of made.splice(0)) removeTree(dir);
});

/** Removes `dir`, making directories a test left unreadable or unwritable removable first. */
export function removeTree(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isDirectory()) fs.chmodSync(path.join(entry.parentPath, entry.name), 0o755);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A fresh temporary directory, removed after the test file. */
export function tmpDir(prefix = 'codesave-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Write `files` (path → text) under a new folder; returns it. */
export function project(files: Record<string, string>, dir = tmpDir()): string {
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return dir;
}

/** A checkpoint zip of `files`, next to the project folder. */
export async function zipOf(files: Record<string, string>, name = 'codebase'): Promise<string> {
  const parent = tmpDir();
  const dir = project(files, path.join(parent, name));
  const output = path.join(parent, `${name}.zip`);
  await checkpoint(dir, { output });
  return output;
}
