/**
 * The seam between the runtime and materialized files (codebase/materialize.ts): where a path under the virtual
 * root is on the real disk, for the code that leaves JavaScript (addons, child processes, workers).
 */
export interface RealFiles {
  /** The codebase's virtual root. */
  readonly root: string;
  /** `true` for a path under the virtual root. */
  inside(file: string): boolean;
  /**
   * The real path of `file` (under the root), written first with what it needs: `'package'` its package and
   * the packages it depends on (an addon and its libraries), `'all'` the whole snapshot (a process or worker).
   */
  realPath(file: string, scope: 'package' | 'all'): string;
}
