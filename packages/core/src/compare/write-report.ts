/**
 * Writing a report file: atomically (a temporary file in the same directory, then a rename), and never over
 * a file codesave did not write: an existing file is replaced only when it carries the report's marker.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { CodesaveError } from '../errors.js';
import { HTML_MARKER, renderHtml } from './render-html.js';
import { MARKDOWN_MARKER, renderMarkdown } from './render-markdown.js';
import type { CompareReport } from './schema.js';

/** Writes `text` to `file` atomically; an existing file must contain `marker` (else `ERR_OUTPUT_EXISTS`). */
export async function writeMarkedFile(file: string, text: string, marker: string): Promise<void> {
  const target = path.resolve(file);
  const dir = path.dirname(target);
  const dirInfo = await stat(dir).catch(() => undefined);
  if (!dirInfo?.isDirectory())
    throw new CodesaveError(
      'ERR_OUTPUT_DIR_MISSING',
      `cannot write ${file}: directory ${dir} does not exist; create it first.`,
      {
        details: { path: target },
      },
    );
  const existing = await stat(target).catch(() => undefined);
  if (existing) {
    const head = existing.isFile() ? await readFile(target).then((b) => b.subarray(0, 4096).toString('utf8')) : '';
    if (!head.includes(marker))
      throw new CodesaveError(
        'ERR_OUTPUT_EXISTS',
        `${file} exists and is not a report codesave wrote; choose another name or delete it first.`,
        { details: { path: target } },
      );
  }
  const temp = path.join(dir, `.${path.basename(target).slice(0, 100)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    if (error instanceof CodesaveError) throw error;
    throw new CodesaveError('ERR_OUTPUT_UNWRITABLE', `cannot write ${file}: ${(error as Error).message}`, {
      cause: error,
      details: { path: target },
    });
  }
}

/** Writes the self-contained HTML report. */
export function writeHtmlReport(file: string, report: CompareReport): Promise<void> {
  return writeMarkedFile(file, renderHtml(report), HTML_MARKER);
}

/** Writes the markdown summary. */
export function writeMarkdownReport(file: string, report: CompareReport): Promise<void> {
  return writeMarkedFile(file, renderMarkdown(report), MARKDOWN_MARKER);
}

/**
 * Fails early (before a long run) when `file` could not be written as a report: its directory is missing, or
 * it exists and is not a report codesave wrote.
 */
export async function checkReportTarget(file: string, kind: 'html' | 'markdown'): Promise<void> {
  const target = path.resolve(file);
  const dirInfo = await stat(path.dirname(target)).catch(() => undefined);
  if (!dirInfo?.isDirectory())
    throw new CodesaveError(
      'ERR_OUTPUT_DIR_MISSING',
      `cannot write ${file}: directory ${path.dirname(target)} does not exist; create it first.`,
      { details: { path: target } },
    );
  const existing = await stat(target).catch(() => undefined);
  if (!existing) return;
  const marker = kind === 'html' ? HTML_MARKER : MARKDOWN_MARKER;
  const head = existing.isFile() ? (await readFile(target)).subarray(0, 4096).toString('utf8') : '';
  if (!head.includes(marker))
    throw new CodesaveError(
      'ERR_OUTPUT_EXISTS',
      `${file} exists and is not a report codesave wrote; choose another name or delete it first.`,
      { details: { path: target } },
    );
}
