/** Python's `from module import name` over a codebase: an export of the module, else its submodule. */
import { CodesaveError } from '../errors.js';
import type { ZipCodebase } from './zip-codebase.js';

/**
 * Only a module that does not resolve is "no such module": an error while loading one that does (a missing
 * dependency or relative import inside it, a syntax error) is the user's to see, as it was thrown.
 */
export async function fromModule(codebase: ZipCodebase, module: string, name: string): Promise<unknown> {
  let ns: Record<string, unknown> | undefined;
  let notFound: unknown;
  try {
    codebase.resolve(module, 'import');
  } catch (error) {
    if (!isNotFound(error)) throw error;
    notFound = error;
  }
  if (!notFound) ns = await codebase.import(module);
  if (ns && name in ns) return ns[name];
  const main = ns?.default as Record<string, unknown> | undefined;
  if (main !== null && (typeof main === 'object' || typeof main === 'function') && Object.hasOwn(main, name))
    return main[name];
  const sub = `${module.replace(/\/+$/, '')}/${name}`;
  try {
    codebase.resolve(sub, 'import');
  } catch (error) {
    if (!isNotFound(error)) throw error;
    throw new CodesaveError(
      'ERR_EXPORT_NOT_FOUND',
      ns
        ? `'${module}' has no export '${name}' and there is no submodule '${sub}' in ${codebase.root}.`
        : `Neither '${module}' nor '${sub}' is a module of ${codebase.root}.`,
      { cause: notFound ?? error, details: { module, name } },
    );
  }
  return await codebase.import(sub);
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND';
}
