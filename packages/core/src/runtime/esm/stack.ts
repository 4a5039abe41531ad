/**
 * Stack traces of transformed code point at the original file, line and column.
 *
 * Transforms keep every line in place, but columns move where an imported name is rewritten or a type is
 * stripped, and esbuild (namespaces, decorators) moves lines too. Node only maps `vm` code through source maps
 * with a process-wide switch (`process.setSourceMapsEnabled`), which would change the host's own traces. Node
 * does call the `Error.prepareStackTrace` of the realm that created an error, so each codebase's realm gets one
 * that formats frames as V8 does and rewrites the positions of transformed files through their source maps
 * (computed on demand). Errors created by host functions, and the host-realm mode, keep V8's positions
 * (lines right, columns possibly off).
 */
import { types } from 'node:util';
import type { TraceMap } from '@jridgewell/trace-mapping';
import { traceMapping } from '../../deps.js';
import { bindingNamesInUse } from '../transform/names.js';

/** `(0 , __cs_b.x)` and `__cs_b.` for every bindings name in use (rebuilt when a module takes a new one). */
let patterns: { names: string[]; callee: RegExp; prefix: RegExp } | undefined;
function bindingPatterns(): { names: string[]; callee: RegExp; prefix: RegExp } {
  const names = bindingNamesInUse();
  if (patterns?.names.length !== names.length) {
    const any = `(?:${names.map((n) => n.replace(/\$/g, '\\$')).join('|')})`;
    patterns = {
      names,
      callee: new RegExp(`\\(0 , ${any}\\.([^\\s()]+)\\)`, 'g'),
      prefix: new RegExp(`(?<![\\w$])${any}\\.`, 'g'),
    };
  }
  return patterns;
}

/**
 * V8 words some messages with the expression at fault (`x is not a function`), which in a transformed module
 * reads `(0 , __cs_b.x)` or `__cs_b.x`: such an error's message gets the names as written. Only a native error
 * whose own `message` is a plain string is touched (no user getter runs); the stack, formatted on first read,
 * then takes the fixed message too.
 */
export function restoreImportNames(error: unknown): void {
  if (!types.isNativeError(error)) return;
  const own = Object.getOwnPropertyDescriptor(error, 'message');
  if (!own || typeof own.value !== 'string' || !own.writable) return;
  const { names, callee, prefix } = bindingPatterns();
  const message = own.value;
  if (!names.some((name) => message.includes(`${name}.`))) return;
  own.value = message.replace(callee, '$1').replace(prefix, '');
  Object.defineProperty(error, 'message', own);
}

interface Entry {
  /** The source map, computed on the first frame that needs it. */
  produce: () => string | undefined;
  map?: TraceMap | null;
  /** Lines V8 reports are this much below the map's generated lines (the ESM wrapper line). */
  lineShift: number;
  /**
   * Frames without a function name read `<anonymous> (file:line:col)`: how Node prints frames it maps through
   * source maps, which is what tsx's TypeScript shows.
   */
  nameAnonymous: boolean;
}

interface CallSiteLike {
  getFileName(): string | null | undefined;
  isEval?(): boolean;
  getFunctionName(): string | null;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
  toString(): string;
}

export class StackMapper {
  readonly #files = new Map<string, Entry>();
  #installed = false;

  /** `name` is the script's file name as frames report it (a path, or a `file:` URL for ES modules). */
  register(name: string, produce: () => string | undefined, lineShift: number, nameAnonymous = false): void {
    this.#files.set(name, { produce, lineShift, nameAnonymous });
  }

  /** The original position of a frame, or `undefined` when the file is not a transformed one. */
  original(name: string, line: number, column: number): { line: number; column: number } | undefined {
    const entry = this.#files.get(name);
    if (!entry) return undefined;
    if (entry.map === undefined) {
      try {
        const raw = entry.produce();
        entry.map = raw ? new (traceMapping().TraceMap)(raw) : null;
      } catch {
        entry.map = null;
      }
    }
    if (!entry.map) return undefined;
    const pos = traceMapping().originalPositionFor(entry.map, { line: line + entry.lineShift, column: column - 1 });
    if (pos.line === null || pos.column === null) return undefined;
    return { line: pos.line, column: pos.column + 1 };
  }

  /**
   * The position in `eval at … (file:line:col)` of code a transformed file evals: V8 gives it without the
   * compile's line offset, so the map's own lines are read.
   */
  #evalOrigin(text: string): string {
    return text.replace(/\(([^()]+):(\d+):(\d+)\)/, (whole, name: string, line: string, column: string) => {
      const entry = this.#files.get(name);
      const pos = entry && this.original(name, Number(line) - entry.lineShift, Number(column));
      return pos ? `(${name}:${pos.line}:${pos.column})` : whole;
    });
  }

  /** Installs the realm's `Error.prepareStackTrace` (once; a user's own replaces it, as natively). */
  install(realmGlobal: typeof globalThis): void {
    if (this.#installed) return;
    this.#installed = true;
    const RealmError = realmGlobal.Error as ErrorConstructor & { prepareStackTrace?: unknown };
    if (RealmError.prepareStackTrace !== undefined) return;
    const errorToString = RealmError.prototype.toString;
    const mapper = this;
    Object.defineProperty(RealmError, 'prepareStackTrace', {
      // Node's own is named `ErrorPrepareStackTrace` (what `Error.prepareStackTrace.name` reads natively).
      value: function ErrorPrepareStackTrace(error: unknown, frames: CallSiteLike[]): string {
        let header: string;
        try {
          restoreImportNames(error);
          header = errorToString.call(error);
        } catch {
          header = '<error>';
        }
        let out = header;
        for (const frame of frames) {
          let text = String(frame);
          const name = frame.getFileName();
          const line = frame.getLineNumber();
          const column = frame.getColumnNumber();
          if (name && line !== null && column !== null) {
            const pos = mapper.original(name, line, column);
            if (pos) {
              const from = `${name}:${line}:${column}`;
              const at = text.lastIndexOf(from);
              if (at >= 0) {
                const to = `${name}:${pos.line}:${pos.column}`;
                // A nameless frame of a file Node maps through its source map reads `<anonymous>` (a module's top
                // level: a bare location in ESM, `Object.<anonymous>` in a CommonJS wrapper).
                const nameless = text === from || (text.startsWith('Object.<anonymous> (') && !frame.getFunctionName());
                text =
                  nameless && mapper.#files.get(name)!.nameAnonymous
                    ? `<anonymous> (${to})`
                    : `${text.slice(0, at)}${to}${text.slice(at + from.length)}`;
              }
            }
          }
          if (frame.isEval?.()) text = mapper.#evalOrigin(text);
          out += `\n    at ${text}`;
        }
        return out;
      },
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
}
