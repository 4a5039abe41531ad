/**
 * The manifest: `codesave.json` at the root of every snapshot. It says what was saved (every file with its
 * size and sha256, and a content hash over all of them) and the environment it was saved from (Node,
 * package manager, installed dependency versions, git). The schema is the source of the type.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z as zod } from 'zod';
import { lazySchema } from '../deps.js';
import { CodesaveError } from '../errors.js';
import * as is from './shape.js';

/** The manifest's name at the zip root. */
export const MANIFEST_NAME = 'codesave.json';

/** Where the diff of tracked files against the git commit is stored when the work tree is dirty. */
export const GIT_PATCH_NAME = '.codesave/git.patch';

/** The manifest format this version writes. Readers accept this version and older ones. */
export const FORMAT_VERSION = 1;

/**
 * The manifest's zod schemas, built on first use (zod costs ~170 ms to load). Opening a snapshot checks the manifest
 * by hand ({@link MANIFEST_SHAPE}); zod runs only for `checkpoint`, a manifest that fails that check (for its
 * messages), and users of {@link ManifestSchema}.
 */
function build(z: typeof zod) {
  const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex sha256');

  /** One stored file. `link` is set for a symbolic link (then `size` and `sha256` describe the target text). */
  const ManifestFileSchema = z.object({
    path: z.string().min(1),
    size: z.number().int().nonnegative(),
    sha256: sha256Hex,
    executable: z.literal(true).optional(),
    link: z.string().min(1).optional(),
  });

  /** Zod schema of `codesave.json`. Unknown keys are kept, so newer writers stay readable. */
  const ManifestSchema = z.looseObject({
    formatVersion: z.number().int().positive(),
    tool: z.looseObject({ name: z.string(), version: z.string() }),
    /** ISO 8601; from `SOURCE_DATE_EPOCH` when set. */
    createdAt: z.string(),
    /** Name of each saved root, the main directory first (extra libraries and roots follow). */
    roots: z.array(z.string()),
    files: z.array(ManifestFileSchema),
    /** sha256 over the sorted `"<sha256>  <path>\n"` lines of `files` (the `sha256sum` format). */
    contentHash: sha256Hex,
    /** Top-level names the snapshot makes importable (the Python tool's `library_names.json`). */
    importNames: z.array(z.string()),
    node: z.looseObject({ version: z.string(), platform: z.string(), arch: z.string() }),
    packageManager: z.looseObject({ name: z.string(), lockfile: z.string().optional() }),
    /** Installed versions of the main root's direct dependencies (the Python tool's `packages.txt`). */
    dependencies: z.record(z.string(), z.string()),
    git: z
      .looseObject({
        commit: z.string(),
        /** `null` on a detached HEAD. */
        branch: z.string().nullable(),
        /** True when tracked files under the saved directory differ from `commit`. */
        dirty: z.boolean(),
        /** Zip path of the diff (`git diff HEAD --binary`, paths relative to the saved directory). */
        patch: z.string().optional(),
      })
      .optional(),
    /** The options the snapshot was made with, as far as they change its content. */
    options: z
      .looseObject({
        onlyCode: z.boolean().optional(),
        ignoreLargerThan: z.number().optional(),
        includeDependencies: z.boolean().optional(),
        /** How many dependency packages `includeDependencies` stored. */
        dependencyPackages: z.number().int().nonnegative().optional(),
        ignore: z.array(z.string()).optional(),
      })
      .optional(),
    /**
     * Set when the codebase was opened from a zip whose entries all sit in this one folder and that has no
     * codesave.json at its root (`zip -r proj.zip proj`, the Python tool's UniqueCodebase prefix layout): the folder
     * was taken as the root, so `_from('src', …)` means `proj/src` in the zip. Never written by `checkpoint`.
     */
    topLevelFolder: z.string().optional(),
    /**
     * Set when `checkpoint` stored precompiled forms (the transformed form of each ES module and TypeScript file,
     * with its source map) under `.codesave/precompiled/v<transformVersion>/`, each also listed in `files`. A plain
     * object of three fields: `transformVersion` (the loader's transform version they were made with; a loader with
     * another ignores them), `forms` (how many forms) and `bytes` (their size, maps included, uncompressed).
     */
    precompiled: z
      .looseObject({
        transformVersion: z.string(),
        forms: z.number().int().nonnegative(),
        bytes: z.number().int().nonnegative(),
      })
      .optional(),
    /** Files left out by a filter (`onlyCode`, `ignoreLargerThan`, links leading outside a root). */
    skipped: z.looseObject({ count: z.number().int().nonnegative(), bytes: z.number().nonnegative() }).optional(),
  });
  return { ManifestSchema, ManifestFileSchema };
}

type Schemas = ReturnType<typeof build>;
let schemas: Schemas | undefined;

/** Zod schema of one {@link Manifest.files} entry. */
export const ManifestFileSchema = lazySchema((z) => (schemas ??= build(z)).ManifestFileSchema);
/** Zod schema of `codesave.json`. Unknown keys are kept, so newer writers stay readable. */
export const ManifestSchema = lazySchema((z) => (schemas ??= build(z)).ManifestSchema);

const sha256 = is.matching(/^[0-9a-f]{64}$/);
const count = is.integer(0);

/**
 * {@link ManifestSchema} written by hand, for opening a snapshot without loading zod. It must accept nothing the
 * schema rejects (it may reject more: zod then decides). A field added to the schema is added here too; the
 * manifest tests check both list the same keys and agree on wrong values.
 */
export const MANIFEST_SHAPE = is.object({
  formatVersion: is.integer(1),
  tool: is.object({ name: is.string, version: is.string }),
  createdAt: is.string,
  roots: is.array(is.string),
  files: is.array(
    is.object({
      path: is.nonEmptyString,
      size: count,
      sha256,
      executable: is.optional(is.literal(true)),
      link: is.optional(is.nonEmptyString),
    }),
  ),
  contentHash: sha256,
  importNames: is.array(is.string),
  node: is.object({ version: is.string, platform: is.string, arch: is.string }),
  packageManager: is.object({ name: is.string, lockfile: is.optional(is.string) }),
  dependencies: is.record(is.string),
  git: is.optional(
    is.object({
      commit: is.string,
      branch: is.nullable(is.string),
      dirty: is.boolean,
      patch: is.optional(is.string),
    }),
  ),
  options: is.optional(
    is.object({
      onlyCode: is.optional(is.boolean),
      ignoreLargerThan: is.optional(is.number),
      includeDependencies: is.optional(is.boolean),
      dependencyPackages: is.optional(count),
      ignore: is.optional(is.array(is.string)),
    }),
  ),
  topLevelFolder: is.optional(is.string),
  precompiled: is.optional(is.object({ transformVersion: is.string, forms: count, bytes: count })),
  skipped: is.optional(is.object({ count, bytes: is.nonNegative })),
});

/** The parsed `codesave.json`. */
export type Manifest = zod.infer<Schemas['ManifestSchema']>;
/** One entry of {@link Manifest.files}. */
export type ManifestFile = zod.infer<Schemas['ManifestFileSchema']>;

/**
 * Validates a manifest (the parsed JSON of `codesave.json`, or its text or bytes).
 * @throws CodesaveError `ERR_MANIFEST_INVALID`, naming the first wrong fields.
 */
export function parseManifest(value: unknown): Manifest {
  let json = value;
  if (typeof value === 'string' || value instanceof Uint8Array) {
    const text = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
    try {
      json = JSON.parse(text);
    } catch (cause) {
      throw new CodesaveError(
        'ERR_MANIFEST_INVALID',
        `${MANIFEST_NAME} is not valid JSON: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
  }
  // The common case (a manifest codesave wrote) passes the hand-written check; zod words what is wrong otherwise.
  const result = checkedByHand(json, value !== json) ?? ManifestSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    throw new CodesaveError(
      'ERR_MANIFEST_INVALID',
      `${MANIFEST_NAME} does not match the codesave manifest format (${problems}); save the snapshot again with codesave`,
      { cause: result.error, details: { issues: result.error.issues } },
    );
  }
  if (result.data.formatVersion > FORMAT_VERSION) {
    throw new CodesaveError(
      'ERR_MANIFEST_INVALID',
      `${MANIFEST_NAME} has format version ${result.data.formatVersion}, newer than this codesave understands (${FORMAT_VERSION}); upgrade codesave`,
      { details: { formatVersion: result.data.formatVersion } },
    );
  }
  return result.data;
}

/** `json` as zod's `safeParse` would return it, when it passes {@link MANIFEST_SHAPE}; `undefined` otherwise. */
function checkedByHand(json: unknown, fresh: boolean): { success: true; data: Manifest } | undefined {
  if (!MANIFEST_SHAPE(json)) return undefined;
  if (fresh) return { success: true, data: json as Manifest };
  // zod returns a new object; so does this, so that the caller's later changes do not reach ours
  try {
    return { success: true, data: structuredClone(json) as Manifest };
  } catch {
    return undefined; // a value structuredClone cannot copy (a function under an unknown key): zod copies it
  }
}

/** sha256 over `"<sha256>  <path>\n"` lines sorted by path: independent of time, machine and order. */
export function contentHashOf(files: readonly Pick<ManifestFile, 'path' | 'sha256'>[], hash: (s: string) => string) {
  // sorted by `path\n` (the line after the hash), each key made once: a 10,000-file manifest is hashed at every open
  const keyed = files.map((f) => ({ key: `${f.path}\n`, line: `${f.sha256}  ${f.path}\n` }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return hash(keyed.map((k) => k.line).join(''));
}

/**
 * A stand-in manifest for a zip made by another tool (`zip -r`, an editor's export): it lists the paths with
 * no sizes or hashes to check against (size 0, sha256 of nothing), so loaders can treat every zip alike.
 * `minimalManifest(paths).tool.name` is `'unknown'`; nothing in it is verified.
 */
export function minimalManifest(paths: string[]): Manifest {
  const empty = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
  const sorted = [...new Set(paths)].filter((p) => p !== MANIFEST_NAME).sort();
  const manifest: Manifest = {
    formatVersion: FORMAT_VERSION,
    tool: { name: 'unknown', version: '0' },
    createdAt: new Date(0).toISOString(),
    roots: [],
    files: sorted.map((path) => ({ path, size: 0, sha256: empty })),
    contentHash: empty,
    importNames: topLevelNames(sorted),
    node: { version: '', platform: '', arch: '' },
    packageManager: { name: 'unknown' },
    dependencies: {},
  };
  standIns.add(manifest);
  return manifest;
}

/** The manifests {@link minimalManifest} made (a `codesave.json` read from a zip is never one, whatever it claims). */
const standIns = new WeakSet<object>();

/**
 * Whether `manifest` is a stand-in made by {@link minimalManifest} for a zip without `codesave.json` — nothing in
 * it can be verified. A `codesave.json` inside a zip that merely says `tool.name: 'unknown'` is not one.
 */
export function isStandInManifest(manifest: object): boolean {
  return standIns.has(manifest);
}

const CODE_EXT = /\.(?:[cm]?[jt]sx?|json)$/;

/** Top-level importable names among zip paths: first-level directories, and code files without extension. */
export function topLevelNames(paths: Iterable<string>): string[] {
  const names = new Set<string>();
  for (const path of paths) {
    const slash = path.indexOf('/');
    if (slash > 0) {
      const top = path.slice(0, slash);
      if (top !== 'node_modules' && !top.startsWith('.')) names.add(top);
    } else if (CODE_EXT.test(path) && !path.startsWith('.') && !/\.d\.[cm]?ts$/.test(path)) {
      const stem = path.replace(CODE_EXT, '');
      if (stem !== 'package' && stem !== 'package-lock' && !stem.startsWith('tsconfig')) names.add(stem);
    }
  }
  return [...names].sort();
}

let toolVersion: string | undefined;

/** This package's version, read from its `package.json` (found by walking up from this module). */
export function codesaveVersion(): string {
  if (toolVersion) return toolVersion;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (pkg.name === '@codesave/core') return (toolVersion = String(pkg.version));
    } catch {}
    dir = dirname(dir);
  }
  return (toolVersion = '0.0.0');
}
