/** Python's `from module import name` over a codebase: an export of the module, else its submodule. */
import { CodesaveError } from '../errors.js';
import type { ZipCodebase } from './zip-codebase.js';

export async function fromModule(codebase: ZipCodebase, module: string, name: string): Promise<unknown> {
  let ns: Record<string, unknown> | undefined;
  let notFound: unknown;
  try {
    ns = await codebase.import(module);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    notFound = error;
  }
  if (ns && name in ns) return ns[name];
  const main = ns?.default as Record<string, unknown> | undefined;
  if (main !== null && (typeof main === 'object' || typeof main === 'function') && Object.hasOwn(main, name))
    return main[name];
  const sub = `${module.replace(/\/+$/, '')}/${name}`;
  try {
    return await codebase.import(sub);
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
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND';
}
