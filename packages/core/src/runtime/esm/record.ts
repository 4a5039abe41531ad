/**
 * Module records (the spec's Module Record, Cyclic Module Record fields included) and how a resolved path
 * names its module: the file it is read from and the URL it is known by.
 */
import { isAbsolute } from 'node:path';
import { fileUrlOf } from '../file-url.js';
import type { ModuleFormat } from '../module-format.js';
import type { EsmTransform } from '../transform/esm.js';
import type { WasmModule } from './wasm.js';

export type Status = 'new' | 'linked' | 'evaluating' | 'evaluating-async' | 'evaluated';

export interface Resolution {
  module: ModuleRecord;
  /** An export name of `module`, or `'*'` for its namespace. */
  name: string;
}

/** One module of the graph, ESM or synthetic (CommonJS, JSON, builtin). */
export class ModuleRecord {
  status: Status = 'new';
  /** Requested modules, one per module request, in source order. */
  requested: ModuleRecord[] = [];
  /** Local export name -> getter (ESM: registered at instantiation; synthetic: reads `values`). */
  getters: Record<string, () => unknown> = Object.create(null);
  /** Values of a synthetic module, set when it is evaluated. */
  values: Record<string, unknown> = Object.create(null);
  syntheticNames: string[] = [];
  info: EsmTransform | undefined;
  /** A `.wasm` file's compiled module (its `info` is the generated module that instantiates it). */
  wasm: WasmModule | undefined;
  generator: Generator | AsyncGenerator | undefined;
  namespaceObject: object | undefined;
  /** Evaluation state of the spec's algorithm. */
  dfsIndex = 0;
  dfsAncestorIndex = 0;
  cycleRoot: ModuleRecord | undefined;
  hasTLA = false;
  asyncEvaluation = false;
  asyncEvaluationOrder = 0;
  pendingAsyncDependencies = 0;
  asyncParentModules: ModuleRecord[] = [];
  evaluationError: { error: unknown } | undefined;
  capability: { promise: Promise<void>; resolve(): void; reject(e: unknown): void } | undefined;
  instantiated: Promise<unknown> | undefined;
  instantiatedDone = false;
  exportIndex: Map<string, { request: number; imported: string } | null> | undefined;

  /** The file (or URL) the module is read from: `path` without the query/fragment of its URL. */
  readonly file: string;

  constructor(
    readonly path: string,
    readonly url: string,
    readonly format: ModuleFormat,
  ) {
    this.file = fileOf(path);
  }
}

/**
 * A resolved path may carry the query and fragment of its URL after a NUL (`/a/x.js\0?v=2`): Node keys modules by
 * URL, so `./x.js?v=2` is a module of its own, read from `/a/x.js`.
 */
export const URL_SUFFIX = '\0';
export const fileOf = (path: string): string => {
  const at = path.indexOf(URL_SUFFIX);
  return at === -1 ? path : path.slice(0, at);
};
/** The URL of a resolved path (file URL plus its query/fragment), or the path itself for node: and data:. */
export const urlOf = (path: string): string => {
  const at = path.indexOf(URL_SUFFIX);
  if (at === -1) return isAbsolute(path) ? fileUrlOf(path) : path;
  return fileUrlOf(path.slice(0, at)) + path.slice(at + 1);
};
