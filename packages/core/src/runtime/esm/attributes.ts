/**
 * Import attributes (`with { type: 'json' }`) as Node reads and checks them: the `import()` options object,
 * and whether a module's format accepts the attributes it was imported with.
 */
import { nodeFeatures } from '../features.js';
import type { ModuleFormat } from '../module-format.js';

/** The attributes of `import(specifier, options)`, validated as V8 does. */
export function importAttributes(options: unknown, TypeErr: ErrorConstructor): Record<string, string> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object')
    throw Object.assign(new TypeErr('The second argument of import() must be an object'), {
      code: 'ERR_INVALID_ARG_TYPE',
    });
  // V8 before 12 (Node 20) still reads the deprecated `assert` key when there is no `with`.
  let w = (options as { with?: unknown }).with;
  if (w === undefined && nodeFeatures.importAssertOption) w = (options as { assert?: unknown }).assert;
  if (w === undefined) return {};
  if (w === null || typeof w !== 'object') throw new TypeErr("The 'with' option of import() must be an object");
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(w)) {
    if (typeof v !== 'string') throw new TypeErr('Import attribute value must be a string');
    out[k] = v;
  }
  return out;
}

/** Import attributes as the running Node checks them (codes and texts changed between Node 20 and 22). */
export function checkAttributes(
  url: string,
  format: ModuleFormat,
  attributes: Record<string, string>,
  typeError: (message: string, code: string) => Error,
): void {
  const modern = nodeFeatures.importAttributeCodes;
  for (const key of Object.keys(attributes))
    if (key !== 'type')
      throw typeError(
        `Import attribute "${key}" with value "${attributes[key]}" is not supported`,
        'ERR_IMPORT_ATTRIBUTE_UNSUPPORTED',
      );
  const type = attributes.type;
  if (format === 'json' && type !== 'json')
    throw modern
      ? typeError(`Module "${url}" needs an import attribute of "type: json"`, 'ERR_IMPORT_ATTRIBUTE_MISSING')
      : typeError(`Module "${url}" needs an import attribute of type "json"`, 'ERR_IMPORT_ASSERTION_TYPE_MISSING');
  if (type === undefined || format === 'json') return;
  if (type === 'json')
    throw typeError(
      `Module "${url}" is not of type "json"`,
      modern ? 'ERR_IMPORT_ATTRIBUTE_TYPE_INCOMPATIBLE' : 'ERR_IMPORT_ASSERTION_TYPE_FAILED',
    );
  throw modern
    ? typeError(
        `Import attribute "type" with value "${type}" is not supported in ${url}`,
        'ERR_IMPORT_ATTRIBUTE_UNSUPPORTED',
      )
    : typeError(`Import attribute type "${type}" is unsupported`, 'ERR_IMPORT_ASSERTION_TYPE_UNSUPPORTED');
}
