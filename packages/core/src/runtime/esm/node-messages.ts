/**
 * Node's wording where it quotes the importer's source: the line of an `import { name } from 'request'` that
 * names a missing CommonJS export (for the hint in `Named export … not found`).
 */
const escapeRegExp = (text: string): string => text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');

/** The source line where `name` stands in the braces of an `import`/`export … from '<request>'` statement. */
export function statementLine(source: string, request: string, name: string): string | undefined {
  const statement = new RegExp(
    `\\b(?:import|export)\\b[^;]*?\\{([^}]*)\\}\\s*from\\s*(['"])${escapeRegExp(request)}\\2`,
    'g',
  );
  const token = new RegExp(`(?:^|[\\s,])(${escapeRegExp(name)})(?=\\s*(?:,|$|as\\b))`);
  for (let m = statement.exec(source); m; m = statement.exec(source)) {
    const inner = token.exec(m[1]!);
    if (!inner) continue;
    const at = m.index + m[0].indexOf('{') + 1 + inner.index + inner[0].length - name.length;
    const start = source.lastIndexOf('\n', at) + 1;
    const end = source.indexOf('\n', at);
    return source.slice(start, end === -1 ? undefined : end);
  }
  return undefined;
}
