/**
 * How Node decides a file's module format, in one place: by extension, then by the `"type"` of its package
 * scope. The CommonJS registry asks it to tell `require(esm)` apart; the ES module host adds what only `import`
 * knows on top (which extensions it accepts, syntax detection for a typeless `.js`, tsx's JSON modules).
 */

/** Every format a codebase's module can have. */
export type ModuleFormat = 'commonjs' | 'module' | 'json' | 'addon' | 'wasm' | 'builtin';

/**
 * The format of the file `filename` by Node's extension rules; `packageType(filename)` gives the `"type"` of
 * its package scope (`'module'` makes `.js` and the TypeScript/JSX kinds tsx treats alike ES modules).
 * Unknown extensions are CommonJS: `require` runs them with the `.js` loader.
 */
export function moduleFormat(filename: string, packageType: (filename: string) => string | undefined): ModuleFormat {
  const dot = filename.lastIndexOf('.');
  const ext = dot > Math.max(filename.lastIndexOf('/'), filename.lastIndexOf('\\')) ? filename.slice(dot) : '';
  switch (ext) {
    case '.mjs':
    case '.mts':
      return 'module';
    case '.cjs':
    case '.cts':
      return 'commonjs';
    case '.json':
      return 'json';
    case '.node':
      return 'addon';
    case '.wasm':
      return 'wasm';
    case '.js':
    case '.ts':
    case '.tsx':
    case '.jsx':
      return packageType(filename) === 'module' ? 'module' : 'commonjs';
    default:
      return 'commonjs';
  }
}
