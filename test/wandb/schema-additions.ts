// What W&B's schema has that @wandb/sdk 0.5.1's generated types (spring 2023) do not: read from the
// operations W&B's open-source Go core sends (github.com/wandb/wandb, core/api/graphql/*.graphql) and the
// response types genqlient generated for them (core/internal/gql/gql_gen.go: a Go pointer is a nullable
// field, a value a non-null one). Marked "inferred" where only the request side was seen. See SCHEMA.md.
/** The field older self-hosted servers lack: the stand-in leaves it out to play one. */
export const SERVER_FEATURES_FIELD = /* GraphQL */ `
extend type ServerInfo {
  features: [ServerFeature!]!
}
`;

export const SCHEMA_ADDITIONS = /* GraphQL */ `
# mutation_create_run_files.graphql; CreateRunFilesPayload.runID string, uploadHeaders []string, files []File
extend type Mutation {
  createRunFiles(input: CreateRunFilesInput!): CreateRunFilesPayload
  markRunFilesUploaded(input: MarkRunFilesUploadedInput!): MarkRunFilesUploadedPayload
}
input CreateRunFilesInput {
  entityName: String!
  projectName: String!
  runName: String!
  files: [String!]!
  clientMutationId: String
}
type CreateRunFilesPayload {
  runID: String!
  uploadHeaders: [String!]!
  files: [File!]!
  clientMutationId: String
}

# mutation_mark_run_files_uploaded.graphql (payload nullability inferred)
input MarkRunFilesUploadedInput {
  entityName: String!
  projectName: String!
  runName: String!
  files: [String!]!
  clientMutationId: String
}
type MarkRunFilesUploadedPayload {
  success: Boolean!
  clientMutationId: String
}

# query_server_features.graphql (nullability inferred); ServerInfo.features itself is SERVER_FEATURES_FIELD
type ServerFeature {
  name: String!
  isEnabled: Boolean!
  description: String
}

# query_project_internal_id.graphql; the Python client's RunFiles asks for it too (inferred ID!)
extend type Project {
  internalId: ID!
}

# mutation_create_artifact_files.graphql: multipart uploads of artifact files over 2 GiB
extend type File {
  uploadMultipartUrls: UploadMultipartUrls
}
type UploadMultipartUrls {
  uploadID: String!
  uploadUrlParts: [UploadUrlPart!]!
}
type UploadUrlPart {
  partNumber: Int64!
  uploadUrl: String!
}
extend input CreateArtifactFileSpecInput {
  uploadPartsInput: [UploadPartsInput!]
}
# (field names inferred)
input UploadPartsInput {
  partNumber: Int64!
  hexMD5: String!
}

# mutation_create_artifact.graphql: tags (server 0.58), storage region
extend input CreateArtifactInput {
  tags: [TagInput!]
  storageRegion: String
}
input TagInput {
  tagCategoryName: String
  tagName: String!
  attributes: JSONString
}
`;
