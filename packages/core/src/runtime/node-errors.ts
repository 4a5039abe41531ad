/**
 * Errors shaped as Node's module system shapes them (same class, `code`, message text, extra properties),
 * created with the constructors of the realm the user code runs in, so `err instanceof Error` holds there.
 */

/** The error constructors of one realm. */
export interface ErrorCtors {
  Error: ErrorConstructor;
  TypeError: TypeErrorConstructor;
}

/** Node's internal errors print as `Error [CODE]: message` in stacks; copy that. */
function nodeError<E extends Error>(error: E, code: string): E & { code: string } {
  const withCode = error as E & { code: string };
  withCode.code = code;
  if (typeof error.stack === 'string') {
    const head = `${error.name}: `;
    if (error.stack.startsWith(head)) withCode.stack = `${error.name} [${code}]: ${error.stack.slice(head.length)}`;
  }
  return withCode;
}

/** `Cannot find module 'x'` with the require stack Node prints (only when there is one). */
export function moduleNotFound(
  ctors: ErrorCtors,
  request: string,
  requireStack: string[] | undefined,
  toRealmArray: (items: string[]) => string[],
): Error {
  let message = `Cannot find module '${request}'`;
  if (requireStack && requireStack.length > 0) message += `\nRequire stack:\n- ${requireStack.join('\n- ')}`;
  const error = new ctors.Error(message) as Error & { code: string; requireStack?: string[] };
  error.code = 'MODULE_NOT_FOUND';
  if (requireStack) error.requireStack = toRealmArray(requireStack);
  return error;
}

/** What Node throws when `exports`/`imports` resolution lands on a missing file (no require stack). */
export function esmNotFound(ctors: ErrorCtors, request: string, path?: string): Error {
  const error = new ctors.Error(`Cannot find module '${request}'`) as Error & { code: string; path?: string };
  error.code = 'MODULE_NOT_FOUND';
  if (path) error.path = path;
  return error;
}

export function badMain(ctors: ErrorCtors, filename: string, pjsonPath: string, requestPath: string): Error {
  const error = new ctors.Error(
    `Cannot find module '${filename}'. Please verify that the package.json has a valid "main" entry`,
  ) as Error & { code: string; path: string; requestPath: string };
  error.code = 'MODULE_NOT_FOUND';
  error.path = pjsonPath;
  error.requestPath = requestPath;
  return error;
}

/** `pkgDir` ends with a separator, as Node prints it. */
export function pathNotExported(ctors: ErrorCtors, pkgDir: string, subpath: string, base?: string): Error {
  const from = base ? ` imported from ${base}` : '';
  const message =
    subpath === '.'
      ? `No "exports" main defined in ${pkgDir}package.json${from}`
      : `Package subpath '${subpath}' is not defined by "exports" in ${pkgDir}package.json${from}`;
  return nodeError(new ctors.Error(message), 'ERR_PACKAGE_PATH_NOT_EXPORTED');
}

export function importNotDefined(ctors: ErrorCtors, specifier: string, pkgDir: string | undefined, base: string) {
  const inPkg = pkgDir ? ` in package ${pkgDir}package.json` : '';
  return nodeError(
    new ctors.TypeError(`Package import specifier "${specifier}" is not defined${inPkg} imported from ${base}`),
    'ERR_PACKAGE_IMPORT_NOT_DEFINED',
  );
}

export function invalidPackageTarget(
  ctors: ErrorCtors,
  pkgDir: string,
  key: string,
  target: unknown,
  isImport: boolean,
  base?: string,
): Error {
  const related =
    typeof target === 'string' && !isImport && target.length > 0 && !target.startsWith('./')
      ? '; targets must start with "./"'
      : '';
  const from = base ? ` imported from ${base}` : '';
  const message =
    key === '.'
      ? `Invalid "exports" main target ${JSON.stringify(target)} defined in the package config ${pkgDir}package.json${from}${related}`
      : `Invalid "${isImport ? 'imports' : 'exports'}" target ${JSON.stringify(target)} defined for '${key}' in the package config ${pkgDir}package.json${from}${related}`;
  return nodeError(new ctors.Error(message), 'ERR_INVALID_PACKAGE_TARGET');
}

export function invalidPackageConfig(ctors: ErrorCtors, path: string, base: string | undefined, message: string) {
  return nodeError(
    new ctors.Error(
      `Invalid package config ${path}${base ? ` while importing ${base}` : ''}${message ? `. ${message}` : ''}`,
    ),
    'ERR_INVALID_PACKAGE_CONFIG',
  );
}

export function unknownBuiltin(ctors: ErrorCtors, request: string): Error {
  return nodeError(new ctors.Error(`No such built-in module: ${request}`), 'ERR_UNKNOWN_BUILTIN_MODULE');
}

export function invalidArgType(ctors: ErrorCtors, name: string, value: unknown): Error {
  let received: string;
  if (value == null) received = ` Received ${value}`;
  else if (typeof value === 'function') received = ` Received function ${(value as { name?: string }).name || ''}`;
  else if (typeof value === 'object')
    received = ` Received ${(value as object).constructor?.name ? `an instance of ${(value as object).constructor.name}` : 'an object'}`;
  else {
    let shown = String(value).slice(0, 25);
    if (String(value).length > 25) shown += '...';
    if (typeof value === 'string') shown = `'${shown}'`;
    received = ` Received type ${typeof value} (${shown})`;
  }
  return nodeError(
    new ctors.TypeError(`The "${name}" argument must be of type string.${received}`),
    'ERR_INVALID_ARG_TYPE',
  );
}

export function invalidArgValue(ctors: ErrorCtors, name: string, value: unknown, reason: string): Error {
  const shown = typeof value === 'string' ? `'${value}'` : String(value);
  return nodeError(
    new ctors.TypeError(`The ${name.includes('.') ? 'property' : 'argument'} '${name}' ${reason}. Received ${shown}`),
    'ERR_INVALID_ARG_VALUE',
  );
}

export function requireEsm(
  ctors: ErrorCtors,
  filename: string,
  hasEsmSyntax: boolean,
  parentPath: string | undefined,
  packageJsonPath: string | undefined,
  basename: (p: string) => string,
): Error {
  let msg = `require() of ES Module ${filename}${parentPath ? ` from ${parentPath}` : ''} not supported.`;
  if (!packageJsonPath) {
    if (filename.endsWith('.mjs'))
      msg += `\nInstead change the require of ${filename} to a dynamic import() which is available in all CommonJS modules.`;
  } else {
    const base = parentPath && basename(filename) === basename(parentPath) ? filename : basename(filename);
    if (hasEsmSyntax) {
      msg += `\nInstead change the require of ${base} in ${parentPath} to a dynamic import() which is available in all CommonJS modules.`;
    } else {
      msg += `\n${base} is treated as an ES module file as it is a .js file whose nearest parent package.json contains "type": "module" which declares all .js files in that package scope as ES modules.\nInstead either rename ${base} to end in .cjs, change the requiring code to use dynamic import() or remove "type": "module" from ${packageJsonPath}.\n`;
    }
  }
  return nodeError(new ctors.Error(msg), 'ERR_REQUIRE_ESM');
}

/** ESM resolution errors (`import` mode). */
export function esmModuleNotFound(ctors: ErrorCtors, what: 'module' | 'package', name: string, base: string) {
  return nodeError(new ctors.Error(`Cannot find ${what} '${name}' imported from ${base}`), 'ERR_MODULE_NOT_FOUND');
}

export function unsupportedDirImport(ctors: ErrorCtors, path: string, base: string) {
  return nodeError(
    new ctors.Error(`Directory import '${path}' is not supported resolving ES modules imported from ${base}`),
    'ERR_UNSUPPORTED_DIR_IMPORT',
  );
}

/** `ERR_INVALID_MODULE_SPECIFIER` (a package or `#imports` name the resolver refuses). */
export function invalidModuleSpecifier(ctors: ErrorCtors, request: string, reason: string, base: string | undefined) {
  const from = base ? ` imported from ${base}` : '';
  return nodeError(new ctors.TypeError(`Invalid module "${request}" ${reason}${from}`), 'ERR_INVALID_MODULE_SPECIFIER');
}
