/**
 * Reading cases: a `.json` file (an array), a `.jsonl`/`.ndjson` file (one JSON value a line, blank lines
 * skipped), a `.csv` file (a header row, then one object of strings a row), an array, or an (async) iterable.
 * A case is handed to the call as it is: a JSONL line's value, a CSV row's object.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CodesaveError } from '../errors.js';

/** Where cases come from. */
export type CasesSource<C = unknown> = string | Iterable<C> | AsyncIterable<C>;

/** The cases of a file as an array, or an iterable as it is (arrays and iterables are not copied). */
export async function loadCases<C>(source: CasesSource<C>): Promise<Iterable<C> | AsyncIterable<C>> {
  if (typeof source === 'string') return (await readCasesFile(source)) as C[];
  if (
    source !== null &&
    typeof source === 'object' &&
    (typeof (source as Iterable<C>)[Symbol.iterator] === 'function' ||
      typeof (source as AsyncIterable<C>)[Symbol.asyncIterator] === 'function')
  ) {
    return source;
  }
  throw new CodesaveError(
    'ERR_CASES_FORMAT',
    'cases: give the path of a .json, .jsonl or .csv file, an array, or an (async) iterable of cases.',
  );
}

/** Reads a cases file by its extension. */
export async function readCasesFile(file: string): Promise<unknown[]> {
  const ext = path.extname(file).toLowerCase();
  if (!['.json', '.jsonl', '.ndjson', '.csv'].includes(ext)) {
    throw new CodesaveError(
      'ERR_CASES_FORMAT',
      `Cases file ${file} has an unknown format (${ext || 'no extension'}); use .json (an array), .jsonl (one JSON value a line) or .csv (a header row).`,
      { details: { path: file } },
    );
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    throw new CodesaveError(
      'ERR_CASES_NOT_FOUND',
      code === 'ENOENT'
        ? `Cases file ${file} does not exist; check the path.`
        : `Cannot read cases file ${file}: ${(cause as Error).message}`,
      { cause, details: { path: file } },
    );
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (ext === '.json') return parseJsonCases(text, file);
  if (ext === '.csv') return parseCsv(text, file);
  return parseJsonLines(text, file);
}

function parseJsonCases(text: string, file: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new CodesaveError('ERR_CASES_INVALID', `Cases file ${file} is not valid JSON: ${(cause as Error).message}`, {
      cause,
      details: { path: file },
    });
  }
  if (!Array.isArray(value)) {
    throw new CodesaveError(
      'ERR_CASES_INVALID',
      `Cases file ${file} holds a JSON ${value === null ? 'null' : typeof value}, not an array of cases; write [case, case, …] (or use .jsonl).`,
      { details: { path: file } },
    );
  }
  return value;
}

/** One JSON value per line; the error names the line (1-based) and shows its start. */
export function parseJsonLines(text: string, file = '<input>'): unknown[] {
  const cases: unknown[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (line.trim() === '') continue;
    try {
      cases.push(JSON.parse(line));
    } catch (cause) {
      const shown = line.length > 60 ? `${line.slice(0, 60)}…` : line;
      throw new CodesaveError(
        'ERR_CASES_INVALID',
        `${file}:${i + 1}: line ${i + 1} is not valid JSON (${(cause as Error).message}): ${JSON.stringify(shown)}. Each line of a .jsonl file must be one JSON value.`,
        { cause, details: { path: file, line: i + 1 } },
      );
    }
  }
  return cases;
}

/** RFC 4180 CSV: a header row names the fields; quoted fields may hold commas, quotes ("") and newlines. */
export function parseCsv(text: string, file = '<input>'): Record<string, string>[] {
  const rows: { cells: string[]; line: number }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let quoteLine = 0;
  let i = 0;
  const endRow = () => {
    cells.push(cell);
    if (!(cells.length === 1 && cells[0] === '')) rows.push({ cells, line: rowLine });
    cells = [];
    cell = '';
    rowLine = line;
  };
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (c === '\n') line++;
        cell += c;
      }
      i++;
      continue;
    }
    if (c === '"' && cell === '') {
      quoted = true;
      quoteLine = line;
    } else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      line++;
      endRow();
    } else cell += c;
    i++;
  }
  if (quoted) {
    throw new CodesaveError(
      'ERR_CASES_INVALID',
      `${file}:${quoteLine}: a quoted field opened on line ${quoteLine} is never closed.`,
      { details: { path: file, line: quoteLine } },
    );
  }
  if (cell !== '' || cells.length > 0) endRow();
  if (rows.length === 0) return [];
  const [header, ...body] = rows;
  const names = header.cells.map((name) => name.trim());
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) {
    throw new CodesaveError('ERR_CASES_INVALID', `${file}:1: the header names the column "${duplicate}" twice.`, {
      details: { path: file, line: 1 },
    });
  }
  return body.map((row) => {
    if (row.cells.length !== names.length) {
      throw new CodesaveError(
        'ERR_CASES_INVALID',
        `${file}:${row.line}: line ${row.line} has ${row.cells.length} fields, the header has ${names.length}.`,
        { details: { path: file, line: row.line } },
      );
    }
    const out: Record<string, string> = {};
    names.forEach((name, index) => {
      Object.defineProperty(out, name, {
        value: row.cells[index],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    });
    return out;
  });
}
