/**
 * `package.json` reads as Node's module system does them: only the fields that matter for loading, read once
 * per path and kept (Node keeps them for the life of the process; we keep them for the life of a codebase).
 */
import path from 'node:path';
import type { FsView } from './fs-view.js';
import { parseJsonText } from './json.js';

/** The fields of a `package.json` that module loading reads. */
export interface PackageConfig {
  /** Absolute path of the `package.json`. */
  pjsonPath: string;
  name?: string;
  main?: string;
  type?: 'commonjs' | 'module' | 'none';
  exports?: unknown;
  imports?: unknown;
  /** `version`, for dependency warnings. */
  version?: string;
}

export class PackageJsonCache {
  readonly #cache = new Map<string, PackageConfig | null>();
  readonly #scope = new Map<string, PackageConfig | null>();

  constructor(
    private readonly fs: FsView,
    private readonly onInvalid: (pjsonPath: string, error: Error) => Error,
  ) {}

  /** The package.json at `pjsonPath`, or `null` if there is none. Invalid JSON throws as Node does. */
  read(pjsonPath: string): PackageConfig | null {
    const cached = this.#cache.get(pjsonPath);
    if (cached !== undefined) return cached;
    let text: string;
    try {
      text = this.fs.readFileSync(pjsonPath, 'utf8') as string;
    } catch {
      this.#cache.set(pjsonPath, null);
      return null;
    }
    let data: Record<string, unknown>;
    try {
      data = parseJsonText(text, JSON.parse) as Record<string, unknown>;
    } catch (error) {
      throw this.onInvalid(pjsonPath, error as Error);
    }
    if (data === null || typeof data !== 'object') data = {};
    const config: PackageConfig = { pjsonPath };
    if (typeof data.name === 'string') config.name = data.name;
    if (typeof data.main === 'string') config.main = data.main;
    if (typeof data.version === 'string') config.version = data.version;
    config.type = data.type === 'module' || data.type === 'commonjs' ? data.type : 'none';
    if (data.exports !== undefined) config.exports = data.exports;
    if (data.imports !== undefined) config.imports = data.imports;
    this.#cache.set(pjsonPath, config);
    return config;
  }

  /**
   * The nearest package.json at or above the directory of `checkPath`, not crossing a `node_modules`
   * folder boundary (Node's `readPackageScope`).
   */
  scope(checkPath: string): PackageConfig | null {
    let dir = path.dirname(checkPath);
    const visited: string[] = [];
    let found: PackageConfig | null = null;
    for (;;) {
      const hit = this.#scope.get(dir);
      if (hit !== undefined) {
        found = hit;
        break;
      }
      visited.push(dir);
      if (dir.endsWith(`${path.sep}node_modules`)) break;
      const config = this.read(path.join(dir, 'package.json'));
      if (config) {
        found = config;
        break;
      }
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
    for (const d of visited) this.#scope.set(d, found);
    return found;
  }
}
