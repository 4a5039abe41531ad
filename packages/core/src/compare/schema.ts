/**
 * The report of a comparison: plain data with a `version` field, validated by {@link CompareReportSchema}.
 * Outputs, inputs and diff values are host-realm data (they may hold Map, Set, Date, typed arrays, `undefined`);
 * {@link reportToJson} writes them with JSON tags that `--json`, the HTML and the markdown reports read.
 */
import type { z as zod } from 'zod';
import { lazySchema } from '../deps.js';

/** The report format this version writes. */
export const REPORT_VERSION = 1;

/** The schemas, built with zod on first use (zod costs ~170 ms to load). */
function build(z: typeof zod) {
  const ErrorDataSchema = z.object({
    name: z.string(),
    message: z.string(),
    stack: z.string().optional(),
    code: z.string().optional(),
  });

  const ChangeSchema = z.object({
    path: z.string(),
    kind: z.enum(['changed', 'added', 'removed']),
    before: z.unknown().optional(),
    after: z.unknown().optional(),
    reason: z.string().optional(),
  });

  /** One version's answer to one case. */
  const VersionResultSchema = z.object({
    version: z.string(),
    ok: z.boolean(),
    output: z.unknown().optional(),
    error: ErrorDataSchema.optional(),
    /** Median over `repeat` calls, in milliseconds. */
    durationMs: z.number().nonnegative(),
    timedOut: z.boolean().optional(),
    /** `true` when repeated calls gave different outputs. */
    flaky: z.boolean().optional(),
    /** Each scorer's value (`null` when it was not a finite number or threw). */
    scores: z.record(z.string(), z.number().nullable()).optional(),
    /** Whether the output equals the case's expected value (absent when the case has none). */
    matchesExpected: z.boolean().optional(),
  });

  /** One case: every version's result, which versions agree, and the diffs of outputs against the first version. */
  const CaseReportSchema = z.object({
    index: z.number().int().nonnegative(),
    input: z.unknown(),
    expected: z.unknown().optional(),
    /** `error` when some version failed, else `differ` when outputs differ, else `agree`. */
    status: z.enum(['agree', 'differ', 'error']),
    /** One group number per version (report order): versions with the same number agree on this case. */
    groups: z.array(z.number().int().nonnegative()),
    results: z.array(VersionResultSchema),
    diffs: z.array(
      z.object({
        from: z.string(),
        to: z.string(),
        changes: z.array(ChangeSchema),
        truncated: z.boolean(),
      }),
    ),
  });

  const TimeSchema = z.object({
    medianMs: z.number().nonnegative(),
    p95Ms: z.number().nonnegative(),
    meanMs: z.number().nonnegative(),
    totalMs: z.number().nonnegative(),
  });

  /** Per-version metrics. */
  const VersionMetricsSchema = z.object({
    name: z.string(),
    source: z.string(),
    snapshot: z
      .object({
        createdAt: z.string().optional(),
        contentHash: z.string().optional(),
        gitCommit: z.string().optional(),
        gitDirty: z.boolean().optional(),
      })
      .optional(),
    cases: z.number().int().nonnegative(),
    errors: z.number().int().nonnegative(),
    timeouts: z.number().int().nonnegative(),
    flaky: z.number().int().nonnegative(),
    /** Each scorer's mean over the cases this version answered (`null` when none scored). */
    scores: z.record(z.string(), z.number().nullable()),
    time: TimeSchema,
    /** For every other version, the fraction of cases on which both agree. */
    agreement: z.record(z.string(), z.number().min(0).max(1).nullable()),
    /** Agreement with the expected values, over the cases that have one (`null` without `expected`). */
    expected: z
      .object({
        cases: z.number().int().nonnegative(),
        matches: z.number().int().nonnegative(),
        rate: z.number().nullable(),
      })
      .nullable(),
  });

  const CompareReportSchema = z.object({
    version: z.literal(REPORT_VERSION),
    createdAt: z.string(),
    call: z.string(),
    options: z.object({
      seed: z.number().nullable(),
      tolerance: z.object({ absolute: z.number(), relative: z.number() }),
      repeat: z.number().int().positive(),
      timeoutMs: z.number().nullable(),
      concurrency: z.number().int().positive(),
      workers: z.number().int().nonnegative(),
      expected: z.string().nullable(),
    }),
    /** `false` when the run was aborted (Ctrl-C, an abort signal): the report holds the cases that finished. */
    complete: z.boolean(),
    summary: z.object({
      cases: z.number().int().nonnegative(),
      agree: z.number().int().nonnegative(),
      differ: z.number().int().nonnegative(),
      errors: z.number().int().nonnegative(),
      durationMs: z.number().nonnegative(),
    }),
    versions: z.array(VersionMetricsSchema).min(2),
    cases: z.array(CaseReportSchema),
  });
  return { CompareReportSchema, CaseReportSchema, VersionResultSchema, VersionMetricsSchema };
}

type Schemas = ReturnType<typeof build>;
let schemas: Schemas | undefined;
const schema = <K extends keyof Schemas>(name: K) => lazySchema((z) => (schemas ??= build(z))[name]);

/** Zod schema of a comparison report. */
export const CompareReportSchema = schema('CompareReportSchema');
export const VersionResultSchema = schema('VersionResultSchema');

export type CompareReport = zod.infer<Schemas['CompareReportSchema']>;
export type CaseReport = zod.infer<Schemas['CaseReportSchema']>;
export type VersionResult = zod.infer<Schemas['VersionResultSchema']>;
export type VersionMetrics = zod.infer<Schemas['VersionMetricsSchema']>;
