/** codebase/: the façades users touch. */
export { Codebase } from './codebase.js';
export { hideCodesaveFrames } from './frames.js';
export { registerSourceOpener, resolveSource, type SourceOpener, sourceScheme } from './sources.js';
export {
  type CodebaseOptions,
  ENTRY_EXTENSIONS,
  UniqueCodebase,
  type VerifyMode,
  ZipCodebase,
} from './zip-codebase.js';
