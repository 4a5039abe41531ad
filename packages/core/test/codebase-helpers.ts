// Shared by the codebase-* and runtime-* tests: temporary project folders and their zips.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkpoint } from '../src/index.ts';

export function tmpDir(prefix = 'codesave-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
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
