/** Git facts about a saved directory: commit, branch, and the diff of tracked files against the commit. */
import { createRequire } from 'node:module';

/** What the manifest records about a git work tree. */
export interface GitFacts {
  commit: string;
  branch: string | null;
  dirty: boolean;
  /** `git diff HEAD --binary --relative` of the directory, empty when clean. */
  patch: Buffer;
}

function git(cwd: string, args: string[], extra: readonly string[] = []): Promise<{ ok: boolean; stdout: Buffer }> {
  return new Promise((done) => {
    const env = {
      ...process.env,
      LC_ALL: 'C',
      GIT_OPTIONAL_LOCKS: '0',
      GIT_PAGER: 'cat',
      GIT_TERMINAL_PROMPT: '0',
      GIT_NO_LAZY_FETCH: '1',
    };
    // A diff must not depend on the user's configuration (external diff tools, colours, renames), and must
    // not run commands a saved repository's own .git/config names: a directory saved may come from anyone
    // (core.fsmonitor runs on every index refresh; textconv and filter drivers on diffed files).
    const safe = [
      ...['-c', 'core.quotepath=off', '-c', 'diff.noprefix=false', '-c', 'color.ui=never'],
      ...['-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null'],
      // no transport at all: a partial clone would otherwise fetch missing blobs (running ssh or uploadpack)
      ...['-c', 'protocol.allow=never'],
      ...extra,
    ];
    // child_process loaded on first use: it brings net, dgram and streams, milliseconds at every import otherwise
    (createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process')).execFile(
      'git',
      [...safe, ...args],
      { cwd, env, encoding: 'buffer', maxBuffer: 1 << 30 },
      (error, stdout) => done({ ok: !error, stdout: stdout as Buffer }),
    );
  });
}

/** `-c` settings that switch off every filter driver the repository configures (clean/smudge/process). */
async function noFilters(dir: string): Promise<string[]> {
  const listed = await git(dir, ['config', '--name-only', '--get-regexp', '^filter\\.']);
  const drivers = new Set<string>();
  if (listed.ok) {
    for (const key of listed.stdout.toString().split('\n')) {
      const m = /^filter\.(.+)\.[^.]+$/.exec(key.trim());
      if (m) drivers.add(m[1]);
    }
  }
  return [...drivers].flatMap((d) => [
    ...['-c', `filter.${d}.clean=`, '-c', `filter.${d}.smudge=`],
    ...['-c', `filter.${d}.process=`, '-c', `filter.${d}.required=false`],
  ]);
}

/** Git facts for `dir`, or `undefined` when it is not in a git work tree (or git is missing, or no commit yet). */
export async function gitFacts(dir: string): Promise<GitFacts | undefined> {
  const inside = await git(dir, ['rev-parse', '--is-inside-work-tree']);
  if (!inside.ok || inside.stdout.toString().trim() !== 'true') return undefined;
  const head = await git(dir, ['rev-parse', '--verify', '-q', 'HEAD']);
  if (!head.ok) return undefined;
  const [branch, diff] = await Promise.all([
    git(dir, ['symbolic-ref', '--short', '-q', 'HEAD']),
    noFilters(dir).then((off) =>
      git(
        dir,
        ['diff', 'HEAD', '--binary', '--no-ext-diff', '--no-textconv', '--no-renames', '--relative', '--', '.'],
        off,
      ),
    ),
  ]);
  if (!diff.ok) return undefined;
  return {
    commit: head.stdout.toString().trim(),
    branch: branch.ok ? branch.stdout.toString().trim() || null : null,
    dirty: diff.stdout.length > 0,
    patch: diff.stdout,
  };
}
