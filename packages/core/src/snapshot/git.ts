/** Git facts about a saved directory: commit, branch, and the diff of tracked files against the commit. */
import { execFile } from 'node:child_process';

/** What the manifest records about a git work tree. */
export interface GitFacts {
  commit: string;
  branch: string | null;
  dirty: boolean;
  /** `git diff HEAD --binary --relative` of the directory, empty when clean. */
  patch: Buffer;
}

function git(cwd: string, args: string[]): Promise<{ ok: boolean; stdout: Buffer }> {
  return new Promise((done) => {
    const env = { ...process.env, LC_ALL: 'C', GIT_OPTIONAL_LOCKS: '0' };
    // A diff must not depend on the user's configuration (external diff tools, colours, renames).
    const safe = ['-c', 'core.quotepath=off', '-c', 'diff.noprefix=false', '-c', 'color.ui=never'];
    execFile('git', [...safe, ...args], { cwd, env, encoding: 'buffer', maxBuffer: 1 << 30 }, (error, stdout) =>
      done({ ok: !error, stdout: stdout as Buffer }),
    );
  });
}

/** Git facts for `dir`, or `undefined` when it is not in a git work tree (or git is missing, or no commit yet). */
export async function gitFacts(dir: string): Promise<GitFacts | undefined> {
  const inside = await git(dir, ['rev-parse', '--is-inside-work-tree']);
  if (!inside.ok || inside.stdout.toString().trim() !== 'true') return undefined;
  const head = await git(dir, ['rev-parse', '--verify', '-q', 'HEAD']);
  if (!head.ok) return undefined;
  const [branch, diff] = await Promise.all([
    git(dir, ['symbolic-ref', '--short', '-q', 'HEAD']),
    git(dir, ['diff', 'HEAD', '--binary', '--no-ext-diff', '--no-renames', '--relative', '--', '.']),
  ]);
  if (!diff.ok) return undefined;
  return {
    commit: head.stdout.toString().trim(),
    branch: branch.ok ? branch.stdout.toString().trim() || null : null,
    dirty: diff.stdout.length > 0,
    patch: diff.stdout,
  };
}
