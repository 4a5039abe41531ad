/**
 * The module format Node (and tsx, for TypeScript) gives a file: by extension, then by the nearest
 * package.json `"type"`.
 */
import type { ModuleFormat } from './loader.js';

/** `packageType(path)`: the `"type"` of the package scope `path` is in (`undefined` when absent). */
export function moduleFormat(path: string, packageType: (path: string) => string | undefined): ModuleFormat {
  const dot = path.lastIndexOf('.');
  const ext = dot > path.lastIndexOf('/') ? path.slice(dot) : '';
  switch (ext) {
    case '.mjs':
    case '.mts':
      return 'module';
    case '.cjs':
    case '.cts':
      return 'commonjs';
    case '.json':
      return 'json';
    default:
      return packageType(path) === 'module' ? 'module' : 'commonjs';
  }
}
