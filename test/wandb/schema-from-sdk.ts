// Rebuilds W&B's production GraphQL schema from the generated types W&B publishes in its JS SDK
// (`@wandb/sdk/dist/gql/graphql.d.ts`, written by graphql-codegen from the server's schema), then adds
// what is newer than that SDK from the operations of W&B's Go core (schema-additions.ts). How the types
// map back to SDL is described in test/wandb/SCHEMA.md.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ts from 'typescript';

/** The SDK's generated types file. */
export function sdkTypesPath(): string {
  const require = createRequire(import.meta.url);
  // The package's exports do not list dist/gql: it is found beside its package.json.
  return join(dirname(require.resolve('@wandb/sdk/package.json')), 'dist', 'gql', 'graphql.d.ts');
}

const BUILTIN = new Set(['ID', 'String', 'Boolean', 'Int', 'Float']);

interface Literal {
  typename?: string;
  members: ts.PropertySignature[];
}

function literalOf(node: ts.TypeNode): Literal | undefined {
  if (!ts.isTypeLiteralNode(node)) return undefined;
  const members = node.members.filter(ts.isPropertySignature);
  let typename: string | undefined;
  const rest: ts.PropertySignature[] = [];
  for (const m of members) {
    const name = m.name.getText();
    if (name === '__typename') {
      const t = m.type;
      if (t && ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal)) typename = t.literal.text;
    } else rest.push(m);
  }
  return { typename, members: rest };
}

/** A field's TypeScript type as a GraphQL type reference (`[String!]`, `Run`, `Int64!`). */
function gqlType(node: ts.TypeNode | undefined, named: (name: string) => string): string {
  const inner = (n: ts.TypeNode): { name: string; nullable: boolean } => {
    if (ts.isTypeReferenceNode(n)) {
      const ref = n.typeName.getText();
      const args = n.typeArguments ?? [];
      if ((ref === 'Maybe' || ref === 'InputMaybe') && args.length === 1) return { ...inner(args[0]), nullable: true };
      if (ref === 'Array' && args.length === 1) return { name: `[${render(inner(args[0]))}]`, nullable: false };
      return { name: named(ref), nullable: false };
    }
    if (ts.isIndexedAccessTypeNode(n) && n.objectType.getText() === 'Scalars') {
      const index = n.indexType;
      if (ts.isLiteralTypeNode(index) && ts.isStringLiteral(index.literal))
        return { name: index.literal.text, nullable: false };
    }
    if (ts.isParenthesizedTypeNode(n)) return inner(n.type);
    throw new Error(`unexpected type ${n.getText()}`);
  };
  const render = (t: { name: string; nullable: boolean }) => (t.nullable ? t.name : `${t.name}!`);
  if (!node) throw new Error('field without a type');
  return render(inner(node));
}

/** `foo` → `Foo`, as graphql-codegen names argument types (`RunFilesArgs` for `Run.files`). */
const capitalized = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/** The SDL of the schema the SDK's generated types describe. */
export function sdlFromSdkTypes(text = readFileSync(sdkTypesPath(), 'utf8')): string {
  const source = ts.createSourceFile('graphql.d.ts', text, ts.ScriptTarget.Latest, true);
  const aliases = new Map<string, ts.TypeNode>();
  const enums: string[] = [];
  let scalars: string[] = [];
  for (const statement of source.statements) {
    // Helpers with type parameters (Maybe<T>, Exact<T>, MakeOptional<T, K>) are codegen's, not the schema's.
    if (ts.isTypeAliasDeclaration(statement) && !statement.typeParameters)
      aliases.set(statement.name.text, statement.type);
    if (ts.isEnumDeclaration(statement)) {
      const values = statement.members.map((m) => {
        const init = m.initializer;
        if (!init || !ts.isStringLiteral(init)) throw new Error(`enum ${statement.name.text} without string values`);
        return init.text;
      });
      enums.push(`enum ${statement.name.text} { ${values.join(' ')} }`);
    }
  }
  const scalarType = aliases.get('Scalars');
  if (scalarType && ts.isTypeLiteralNode(scalarType)) {
    scalars = scalarType.members.map((m) => m.name!.getText()).filter((n) => !BUILTIN.has(n));
  }

  // codegen renames types to PascalCase (`ClientIDMapping` → `ClientIdMapping`); an object's `__typename`
  // keeps the schema's own name. An operation's result type (`ViewerQuery`) has its root's typename instead.
  const realName = new Map<string, string>();
  const sameName = (typename: string, alias: string) => typename.toLowerCase() === alias.toLowerCase();
  const named = (ts: string) => realName.get(ts) ?? ts;
  // Interfaces are the named parts of intersections (`Run = BucketType & Node & {…}`).
  const interfaces = new Set<string>();
  const objects = new Map<string, { implements: string[]; literal: Literal }>();
  const unions = new Map<string, string[]>();
  const literals = new Map<string, Literal>();
  for (const [name, node] of aliases) {
    if (ts.isIntersectionTypeNode(node)) {
      const names = node.types.filter(ts.isTypeReferenceNode).map((t) => t.typeName.getText());
      const literal = node.types.map(literalOf).find(Boolean);
      for (const n of names) interfaces.add(n);
      if (!literal) continue;
      if (literal.typename && sameName(literal.typename, name)) {
        objects.set(name, { implements: names, literal });
        realName.set(name, literal.typename);
      } else if (literal.typename === undefined) {
        interfaces.add(name);
        literals.set(name, literal);
        objects.set(name, { implements: names, literal });
      }
      continue;
    }
    if (ts.isUnionTypeNode(node) && node.types.every(ts.isTypeReferenceNode)) {
      unions.set(
        name,
        node.types.map((t) => (t as ts.TypeReferenceNode).typeName.getText()),
      );
      continue;
    }
    if (ts.isTypeReferenceNode(node) && !node.typeArguments && /^[A-Z]/.test(name)) {
      unions.set(name, [node.typeName.getText()]);
      continue;
    }
    const literal = literalOf(node);
    if (!literal) continue;
    if (literal.typename && sameName(literal.typename, name)) {
      objects.set(name, { implements: [], literal });
      realName.set(name, literal.typename);
    } else if (literal.typename === undefined && name !== 'Scalars') literals.set(name, literal);
  }
  // `Type` + `Field` + `Args`: a field's arguments.
  const argsOf = (type: string, field: string) => literals.get(`${type}${capitalized(field)}Args`);
  const used = new Set<string>();
  const fields = (type: string, literal: Literal) =>
    literal.members
      .map((m) => {
        const field = m.name.getText();
        const args = argsOf(type, field);
        if (args) used.add(`${type}${capitalized(field)}Args`);
        const list = args
          ? `(${args.members.map((a) => `${a.name.getText()}: ${gqlType(a.type, named)}`).join(', ')})`
          : '';
        return `  ${field}${list}: ${gqlType(m.type, named)}`;
      })
      .join('\n');

  const out: string[] = [...scalars.map((s) => `scalar ${s}`), ...enums];
  for (const [name, { implements: parents, literal }] of objects) {
    const kind = interfaces.has(name) ? 'interface' : 'type';
    const impl = parents.length ? ` implements ${parents.join(' & ')}` : '';
    out.push(`${kind} ${named(name)}${impl} {\n${fields(name, literal)}\n}`);
  }
  for (const name of interfaces) {
    if (objects.has(name)) continue;
    const literal = literals.get(name);
    if (!literal) throw new Error(`interface ${name} has no fields`);
    out.push(`interface ${name} {\n${fields(name, literal)}\n}`);
  }
  for (const [name, members] of unions) out.push(`union ${name} = ${members.map(named).join(' | ')}`);
  for (const [name, literal] of literals) {
    if (interfaces.has(name) || used.has(name)) continue;
    const body = literal.members.map((m) => `  ${m.name.getText()}: ${gqlType(m.type, named)}`).join('\n');
    out.push(`input ${name} {\n${body}\n}`);
  }
  return out.join('\n\n');
}
