/** `codesave diff a.zip b.zip`: files added, removed and changed (lines + and −), dependencies, environment. */
import { type DiffSummary, diffSnapshots, renderPatch } from '@codesave/core';
import { type Command, parseCommandArgs, printable, UsageError } from '../command.js';
import { formatBytes } from '../progress.js';

const usage = `Usage: codesave diff <a> <b> [options]

Shows what changed from snapshot a to snapshot b (zips, or directories snapshotted in memory first):
files added (A), removed (D) and changed (M) with lines added and removed, dependency versions that
changed, and the Node version, platform and git commit each was saved from.

Options:
      --patch     also print unified diffs of the text files that changed
      --json      print the comparison as JSON (with each file's patch under --patch)
  -h, --help      show this help

Exit codes: 0 done (whether or not they differ); 1 bad arguments or input; 2 internal error.`;

const flags = { patch: { type: 'boolean' }, json: { type: 'boolean' } } as const;

export const diff: Command = {
  name: 'diff',
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, flags);
    if (positionals.length !== 2) throw new UsageError('give exactly two snapshots');
    const summary = await diffSnapshots(positionals[0], positionals[1], { patch: values.patch ?? false });
    if (values.json) {
      console.log(JSON.stringify(summary, null, 2));
      return 0;
    }
    // names and versions come from the zips: shown, never sent raw to the terminal
    console.log(printable(describe(summary)));
    if (values.patch) {
      const patch = renderPatch(summary);
      if (patch) console.log(`\n${printable(patch)}`);
    }
    return 0;
  },
};

function side(label: string, s: DiffSummary['a']): string {
  if (!s.snapshot) return `${label}: ${s.source} (a zip without a codesave manifest)`;
  const git = s.git
    ? `  git ${s.git.commit.slice(0, 12)}${s.git.branch ? ` (${s.git.branch})` : ''}${s.git.dirty ? ' dirty' : ''}`
    : '  no git';
  return `${label}: ${s.source}  saved ${s.createdAt}  node ${s.node} ${s.platform}/${s.arch}${git}`;
}

function describe(summary: DiffSummary): string {
  const lines = [side('a', summary.a), side('b', summary.b)];
  const env: string[] = [];
  if (summary.a.node !== summary.b.node) env.push(`node ${summary.a.node} → ${summary.b.node}`);
  if (summary.a.platform !== summary.b.platform || summary.a.arch !== summary.b.arch)
    env.push(`platform ${summary.a.platform}/${summary.a.arch} → ${summary.b.platform}/${summary.b.arch}`);
  if (summary.a.git?.commit !== summary.b.git?.commit)
    env.push(`git ${summary.a.git?.commit.slice(0, 12) ?? 'none'} → ${summary.b.git?.commit.slice(0, 12) ?? 'none'}`);
  if (env.length) lines.push(`Environment: ${env.join(', ')}`);
  const count = (status: string) => summary.files.filter((f) => f.status === status).length;
  lines.push(
    '',
    `Files: ${count('changed')} changed, ${count('added')} added, ${count('removed')} removed, ${summary.unchanged} unchanged`,
  );
  const width = Math.min(60, Math.max(0, ...summary.files.map((f) => f.path.length)));
  for (const f of summary.files) {
    const mark = f.status === 'added' ? 'A' : f.status === 'removed' ? 'D' : 'M';
    const stat = f.binary
      ? `binary ${f.sizeBefore === undefined ? '' : formatBytes(f.sizeBefore)}${f.sizeBefore !== undefined && f.sizeAfter !== undefined ? ' → ' : ''}${f.sizeAfter === undefined ? '' : formatBytes(f.sizeAfter)}`
      : [f.added ? `+${f.added}` : '', f.removed ? `−${f.removed}` : ''].filter(Boolean).join(' ') ||
        '(line endings or whitespace)';
    lines.push(`  ${mark} ${f.path.padEnd(width)}  ${stat}`);
  }
  if (summary.dependencies.length) {
    lines.push('', 'Dependencies:');
    for (const d of summary.dependencies) {
      if (d.before === null) lines.push(`  + ${d.name} ${d.after}`);
      else if (d.after === null) lines.push(`  - ${d.name} ${d.before}`);
      else lines.push(`    ${d.name} ${d.before} → ${d.after}`);
    }
  }
  return lines.join('\n');
}
