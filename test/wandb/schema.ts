// The slice of the W&B GraphQL schema that the protocol notes (/work/shared/wandb-protocol.md) describe:
// the types, fields, arguments and nullability the real clients rely on, and nothing more, so that a query
// asking for anything else fails validation here as it would against a server that lacks it.
export const SCHEMA_SDL = /* GraphQL */ `
scalar JSONString
scalar DateTime
scalar Int64

type Query {
  viewer: User
  serverInfo: ServerInfo
  project(name: String, entityName: String): Project
  artifact(id: ID!): Artifact
}

type Mutation {
  upsertBucket(input: UpsertBucketInput!): UpsertBucketPayload
  createRunFiles(input: CreateRunFilesInput!): CreateRunFilesPayload
  markRunFilesUploaded(input: MarkRunFilesUploadedInput!): MarkRunFilesUploadedPayload
  createArtifact(input: CreateArtifactInput!): CreateArtifactPayload
  createArtifactManifest(input: CreateArtifactManifestInput!): CreateArtifactManifestPayload
  createArtifactFiles(input: CreateArtifactFilesInput!): CreateArtifactFilesPayload
  commitArtifact(input: CommitArtifactInput!): CommitArtifactPayload
}

type User {
  id: ID!
  entity: String
  username: String
  email: String
  flags: JSONString
  teams: EntityConnection
}
type EntityConnection { edges: [EntityEdge!]! }
type EntityEdge { node: Entity }
type Entity { id: ID! name: String! }

type ServerInfo { features: [ServerFeature!]! }
type ServerFeature { name: String! isEnabled: Boolean! }

type Project {
  id: ID!
  internalId: ID!
  name: String!
  entity: Entity!
  run(name: String!): Run
}

type Run {
  id: ID!
  name: String!
  displayName: String
  description: String
  config: JSONString
  sweepName: String
  project: Project
  historyLineCount: Int
  fileCount: Int
  files(names: [String], after: String, first: Int, pattern: String): FileConnection!
  outputArtifacts(after: String, first: Int): ArtifactConnection!
}

type PageInfo { endCursor: String hasNextPage: Boolean! }
type FileConnection { edges: [FileEdge!]! pageInfo: PageInfo! }
type FileEdge { node: File cursor: String! }
type File {
  id: ID!
  name: String!
  url(upload: Boolean): String
  directUrl: String
  sizeBytes: Int64
  mimetype: String
  updatedAt: DateTime
  md5: String
  storagePath: String
  uploadUrl: String
  uploadHeaders: [String!]
  artifact: Artifact
}

enum ArtifactState { PENDING COMMITTED DELETED }
type ArtifactType { name: String! }
type ArtifactAlias { alias: String! artifactCollectionName: String }
type ArtifactSequence { id: ID! name: String! project: Project latestArtifact: Artifact }
type ArtifactManifest { id: ID! file: File! }
type ArtifactConnection { totalCount: Int! pageInfo: PageInfo! edges: [ArtifactEdge!]! }
type ArtifactEdge { node: Artifact cursor: String! }
type Artifact {
  id: ID!
  versionIndex: Int
  state: ArtifactState!
  digest: String!
  size: Int64
  fileCount: Int64
  artifactType: ArtifactType!
  artifactSequence: ArtifactSequence!
  aliases: [ArtifactAlias!]!
  currentManifest: ArtifactManifest
  files(after: String, first: Int): FileConnection!
}

input UpsertBucketInput {
  id: String
  name: String
  groupName: String
  modelName: String
  entityName: String
  description: String
  displayName: String
  notes: String
  config: JSONString
  commit: String
  host: String
  debug: Boolean
  jobProgram: String
  jobRepo: String
  jobType: String
  state: String
  sweep: String
  tags: [String!]
  summaryMetrics: JSONString
}
type UpsertBucketPayload { bucket: Run inserted: Boolean }

input CreateRunFilesInput { entityName: String! projectName: String! runName: String! files: [String!]! }
type RunFileUploadUrl { name: String! uploadUrl: String }
type CreateRunFilesPayload { runID: ID uploadHeaders: [String!]! files: [RunFileUploadUrl!]! }

input MarkRunFilesUploadedInput { entityName: String! projectName: String! runName: String! files: [String!]! }
type MarkRunFilesUploadedPayload { success: Boolean! }

enum ArtifactDigestAlgorithm { MANIFEST_MD5 }
input ArtifactAliasInput { artifactCollectionName: String! alias: String! }
input CreateArtifactInput {
  entityName: String!
  projectName: String!
  artifactTypeName: String!
  artifactCollectionName: String
  artifactCollectionNames: [String!]
  runName: String
  digest: String!
  digestAlgorithm: ArtifactDigestAlgorithm!
  description: String
  labels: JSONString
  aliases: [ArtifactAliasInput!]
  metadata: JSONString
  ttlDurationSeconds: Int64
  historyStep: Int64
  distributedID: String
  clientID: ID
  sequenceClientID: ID
  enableDigestDeduplication: Boolean
}
type CreateArtifactPayload { artifact: Artifact! }

enum ArtifactManifestType { FULL PATCH INCREMENTAL }
input CreateArtifactManifestInput {
  artifactID: ID!
  baseArtifactID: ID
  name: String!
  digest: String!
  entityName: String!
  projectName: String!
  runName: String!
  type: ArtifactManifestType!
}
type CreateArtifactManifestPayload { artifactManifest: ArtifactManifest! }

enum ArtifactStorageLayout { V1 V2 }
input CreateArtifactFileSpecInput {
  artifactID: ID!
  name: String!
  md5: String!
  mimetype: String
  artifactManifestID: ID
}
input CreateArtifactFilesInput { artifactFiles: [CreateArtifactFileSpecInput!]! storageLayout: ArtifactStorageLayout! }
type CreateArtifactFilesPayload { files: FileConnection! }

input CommitArtifactInput { artifactID: ID! }
type CommitArtifactPayload { artifact: Artifact! }
`;

/** Operation names the protocol notes list; anything else is refused, so the client cannot drift. */
export const KNOWN_OPERATIONS = new Set([
  'Viewer',
  'ServerFeaturesQuery',
  'UpsertBucket',
  'CreateRunFiles',
  'MarkRunFilesUploaded',
  'RunFiles',
  'RunOutputArtifacts',
  'FetchArtifactManifest',
  'ArtifactFileURLs',
  'CreateArtifact',
  'CreateArtifactManifest',
  'CreateArtifactFiles',
  'CommitArtifact',
]);
