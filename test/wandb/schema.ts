// W&B's GraphQL schema as the stand-in serves it: rebuilt from @wandb/sdk's generated types of the
// production API (schema-from-sdk.ts) plus what W&B's Go core shows is newer (schema-additions.ts).
// Built once per process (parsing the SDK's 200 kB of types takes a moment).
import { buildSchema, type GraphQLSchema } from 'graphql';
import { SCHEMA_ADDITIONS, SERVER_FEATURES_FIELD } from './schema-additions.js';
import { sdlFromSdkTypes } from './schema-from-sdk.js';

const built = new Map<boolean, GraphQLSchema>();
let sdkSdl: string | undefined;

/** The SDL: the SDK's types, then the additions; without `ServerInfo.features` for an older server. */
export function schemaSdl(features = true): string {
  sdkSdl ??= sdlFromSdkTypes();
  return `${sdkSdl}\n\n${SCHEMA_ADDITIONS}${features ? SERVER_FEATURES_FIELD : ''}`;
}

export function wandbSchema(features = true): GraphQLSchema {
  let schema = built.get(features);
  if (!schema) built.set(features, (schema = buildSchema(schemaSdl(features))));
  return schema;
}
