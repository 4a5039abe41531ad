/** `codesave verify <zip>`: is the zip the snapshot its manifest describes? Every mismatching entry is named. */
import { archiveMismatches, MANIFEST_NAME, openArchive, readArchiveManifest } from '@codesave/core';
import { type Command, parseCommandArgs, printable, UsageError } from '../command.js';

const usage = `Usage: codesave verify <zip> [--json]

Checks every file of a snapshot against its ${MANIFEST_NAME} (size and sha256, symlink targets, files the
manifest does not list) and the manifest's own contentHash against its file list. Unlike opening a codebase,
it does not stop at the first difference: every mismatching entry is named.

Verification proves the zip is the snapshot its manifest describes, not who made it: to trust a snapshot,
compare its contentHash with one you got from a trusted place.

Options:
      --json      print { zip, ok, files, contentHash, mismatches: [{ path, problem, code }] }
  -h, --help      show this help

Exit codes: 0 the zip matches its manifest, 1 it does not (or it has no manifest, or cannot be read),
2 internal error.`;

const flags = { json: { type: 'boolean' } } as const;

export const verify: Command = {
  name: 'verify',
  summary: 'Checks every file of a snapshot and its contentHash against its manifest, naming each mismatch',
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, flags);
    if (positionals.length !== 1) throw new UsageError('pass exactly one zip');
    const zip = positionals[0];
    const archive = await openArchive(zip);
    try {
      const manifest = readArchiveManifest(archive);
      if (!manifest) {
        if (values.json) {
          console.log(JSON.stringify({ zip, ok: false, snapshot: false, files: 0, mismatches: [] }, null, 2));
        }
        console.error(
          `codesave verify: ${printable(zip)} is not a codesave snapshot (no ${MANIFEST_NAME}): nothing to verify against`,
        );
        return 1;
      }
      const mismatches = archiveMismatches(archive, manifest);
      const ok = mismatches.length === 0;
      if (values.json) {
        const out = {
          zip,
          ok,
          snapshot: true,
          files: manifest.files.length,
          contentHash: manifest.contentHash,
          mismatches,
        };
        console.log(JSON.stringify(out, null, 2));
        return ok ? 0 : 1;
      }
      if (ok) {
        console.log(
          `${printable(zip)}: ${manifest.files.length} files match ${MANIFEST_NAME} (contentHash ${manifest.contentHash})`,
        );
        return 0;
      }
      // names come from the zip: shown escaped, never sent raw to the terminal
      const lines = mismatches.map((m) => `  ${printable(m.path)}: ${printable(m.problem)} [${m.code}]`);
      console.error(
        `codesave verify: ${printable(zip)} is not the snapshot its ${MANIFEST_NAME} describes (${mismatches.length} mismatching ${mismatches.length === 1 ? 'entry' : 'entries'}):\n${lines.join('\n')}`,
      );
      return 1;
    } finally {
      archive.close();
    }
  },
};
