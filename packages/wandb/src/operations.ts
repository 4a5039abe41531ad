/**
 * Every GraphQL operation codesave sends, in one place. These are the texts the official clients send
 * (see the protocol notes); the stand-in server in `test/wandb/` checks them against a schema.
 */

export const VIEWER = `query Viewer { viewer { id entity username email flags teams { edges { node { name } } } } }`;

export const SERVER_FEATURES = `query ServerFeaturesQuery { serverInfo { features { name isEnabled } } }`;

export const UPSERT_BUCKET = `mutation UpsertBucket($id: String, $name: String, $project: String, $entity: String, $config: JSONString) {
  upsertBucket(input: { id: $id, name: $name, modelName: $project, entityName: $entity, config: $config }) {
    bucket { id name displayName config project { id name entity { id name } } }
    inserted
  }
}`;

export const CREATE_RUN_FILES = `mutation CreateRunFiles($entity: String!, $project: String!, $run: String!, $files: [String!]!) {
  createRunFiles(input: { entityName: $entity, projectName: $project, runName: $run, files: $files }) {
    runID
    uploadHeaders
    files { name uploadUrl }
  }
}`;

export const MARK_RUN_FILES_UPLOADED = `mutation MarkRunFilesUploaded($entity: String!, $project: String!, $run: String!, $files: [String!]!) {
  markRunFilesUploaded(input: { entityName: $entity, projectName: $project, runName: $run, files: $files }) { success }
}`;

export const RUN_FILES = `query RunFiles($project: String!, $entity: String!, $name: String!, $fileCursor: String, $fileLimit: Int = 50, $fileNames: [String] = [], $upload: Boolean = false, $pattern: String) {
  project(name: $project, entityName: $entity) {
    internalId
    run(name: $name) { fileCount ...RunFilesFragment }
  }
}
fragment RunFilesFragment on Run {
  files(names: $fileNames, after: $fileCursor, first: $fileLimit, pattern: $pattern) {
    edges { node { id name url(upload: $upload) directUrl sizeBytes mimetype updatedAt md5 } cursor }
    pageInfo { endCursor hasNextPage }
  }
}`;

export const RUN_OUTPUT_ARTIFACTS = `query RunOutputArtifacts($entity: String!, $project: String!, $run: String!, $cursor: String, $perPage: Int) {
  project(entityName: $entity, name: $project) {
    run(name: $run) {
      artifacts: outputArtifacts(after: $cursor, first: $perPage) {
        totalCount
        pageInfo { endCursor hasNextPage }
        edges { node { id versionIndex state digest size fileCount artifactType { name } artifactSequence { name project { name entity { name } } } aliases { alias } } }
      }
    }
  }
}`;

export const FETCH_ARTIFACT_MANIFEST = `query FetchArtifactManifest($id: ID!) { artifact(id: $id) { currentManifest { file { directUrl } } } }`;

export const ARTIFACT_FILE_URLS = `query ArtifactFileURLs($id: ID!, $cursor: String, $perPage: Int) {
  artifact(id: $id) {
    files(after: $cursor, first: $perPage) { pageInfo { hasNextPage endCursor } edges { node { name directUrl } } }
  }
}`;

export const CREATE_ARTIFACT = `mutation CreateArtifact($input: CreateArtifactInput!) {
  createArtifact(input: $input) { artifact { id state artifactSequence { latestArtifact { id } } } }
}`;

export const CREATE_ARTIFACT_MANIFEST = `mutation CreateArtifactManifest($artifactID: ID!, $baseArtifactID: ID, $name: String!, $digest: String!, $entityName: String!, $projectName: String!, $runName: String!, $manifestType: ArtifactManifestType!, $includeUpload: Boolean!) {
  createArtifactManifest(input: { artifactID: $artifactID, baseArtifactID: $baseArtifactID, name: $name, digest: $digest, entityName: $entityName, projectName: $projectName, runName: $runName, type: $manifestType }) {
    artifactManifest { id file { id uploadUrl @include(if: $includeUpload) uploadHeaders @include(if: $includeUpload) } }
  }
}`;

export const CREATE_ARTIFACT_FILES = `mutation CreateArtifactFiles($artifactFiles: [CreateArtifactFileSpecInput!]!, $storageLayout: ArtifactStorageLayout!) {
  createArtifactFiles(input: { artifactFiles: $artifactFiles, storageLayout: $storageLayout }) {
    files { edges { node { storagePath uploadUrl uploadHeaders artifact { id } } } }
  }
}`;

export const COMMIT_ARTIFACT = `mutation CommitArtifact($artifactID: ID!) { commitArtifact(input: { artifactID: $artifactID }) { artifact { id digest } } }`;
