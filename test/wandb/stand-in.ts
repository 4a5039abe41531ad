// A strict stand-in for the W&B server, for tests and the examples: a real GraphQL executor over W&B's own
// schema (schema.ts: rebuilt from @wandb/sdk's generated types and W&B's Go core), so any valid operation
// executes and anything else fails as it would in production; Basic auth on everything under the base URL;
// storage on another loopback host (127.0.0.2) whose signed URLs refuse auth headers, as a bucket does; run
// files that count only once marked uploaded; log_code-style artifacts; and injectable faults.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type DocumentNode, execute, GraphQLError, Kind, parse, validate } from 'graphql';
import { wandbSchema } from './schema.js';

export const TEST_API_KEY = 'local-0123456789abcdef0123456789abcdef01234567';

export interface StandInOptions {
  apiKey?: string;
  /** The viewer's entity (default `stand-in-user`). */
  entity?: string;
  /** Teams the viewer belongs to; writing into other entities is refused. */
  teams?: string[];
  /** Whether `ServerFeaturesQuery` lists `MARK_RUN_FILES_UPLOADED` (default true). */
  markRunFilesUploaded?: boolean;
  /** Answer `viewer: null` instead of 401 for a wrong key (the other way the real service says no). */
  viewerNullOnBadKey?: boolean;
  /** An older self-hosted server: its schema has no `ServerInfo.features` at all (default true). */
  serverFeatures?: boolean;
}

/** One injected fault, consumed when a matching request arrives. */
export interface Fault {
  on: 'graphql' | 'upload' | 'download' | 'file_stream' | 'files';
  /** For `graphql`: the operation name. For transfers: a substring of the file name. */
  match?: string;
  /** Answer with this status instead of serving the request. */
  status?: number;
  retryAfter?: string;
  /** Download: send the headers and half of the body, then cut the connection. Others: cut at once. */
  cut?: boolean;
  /** Download: flip one byte of the body (its MD5 then differs from the listed one). */
  corrupt?: boolean;
  /** Download: send the headers and half of the body, then go silent (the connection stays open). */
  stall?: boolean;
  /** Wait this long before answering (GraphQL): to test client timeouts. */
  delayMs?: number;
  /** How many requests it hits (default 1). */
  times?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  kind: 'graphql' | 'upload' | 'download' | 'file_stream' | 'files' | 'other';
  operation?: string;
  variables?: Record<string, unknown>;
  status: number;
  headers: http.IncomingHttpHeaders;
}

interface StoredFile {
  id: string;
  name: string;
  content?: Buffer;
  marked: boolean;
  updatedAt?: string;
}

interface RunState {
  storageId: string;
  entity: string;
  project: string;
  name: string;
  config: string;
  state: string;
  files: Map<string, StoredFile>;
  outputArtifacts: string[];
  fileStream: unknown[];
}

interface ArtifactFileState {
  name: string;
  md5: string;
  storagePath: string;
  birthArtifactId: string;
}

interface ArtifactState {
  id: string;
  entity: string;
  project: string;
  type: string;
  collection: string;
  digest: string;
  state: 'PENDING' | 'COMMITTED' | 'DELETED';
  versionIndex: number | null;
  aliases: string[];
  runName?: string;
  manifest?: { id: string; name: string; digest: string; storagePath: string; content?: Buffer };
  files: Map<string, ArtifactFileState>;
}

interface PutTarget {
  headers: Record<string, string>;
  expectMd5?: string;
  name: string;
  store: (content: Buffer) => void;
}

/** What a signed run-file upload must carry, as `"Key:Value"` strings (the form CreateRunFiles answers). */
const RUN_FILE_UPLOAD_HEADERS = ['Content-Type:application/octet-stream', 'X-Stand-In-Signed:run-file'];

const b64md5 = (data: Buffer | string) => createHash('md5').update(data).digest('base64');
const cursorOf = (i: number) => Buffer.from(`cursor:${i}`).toString('base64');
const indexOf = (cursor: string | null | undefined) =>
  cursor
    ? Number(
        Buffer.from(cursor, 'base64')
          .toString('utf8')
          .replace(/^cursor:/, ''),
      ) + 1
    : 0;

function page<T>(items: T[], after: string | null | undefined, first: number | null | undefined) {
  const start = indexOf(after);
  const size = first ?? 50;
  const slice = items.slice(start, start + size);
  return {
    edges: slice.map((node, i) => ({ node, cursor: cursorOf(start + i) })),
    pageInfo: {
      endCursor: slice.length ? cursorOf(start + slice.length - 1) : null,
      hasNextPage: start + size < items.length,
    },
    totalCount: items.length,
  };
}

/** SQL LIKE with `%` and `_`. */
function like(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/%/g, '.*')
    .replace(/_/g, '.');
  return new RegExp(`^${re}$`, 's').test(value);
}

/** The W&B `MANIFEST_MD5` digest of a manifest's contents. */
function manifestDigestOf(contents: Record<string, { digest: string }>): string {
  const hash = createHash('md5').update('wandb-artifact-manifest-v1\n');
  for (const path of Object.keys(contents).sort()) hash.update(`${path}:${contents[path].digest}\n`);
  return hash.digest('hex');
}

export class StandIn {
  readonly apiKey: string;
  readonly entity: string;
  readonly teams: string[];
  markRunFilesUploaded: boolean;
  viewerNullOnBadKey: boolean;
  serverFeatures: boolean;
  /** The API's base URL (`http://127.0.0.1:<port>`). */
  url = '';
  /** Where signed URLs point: another host, as a cloud bucket is (`http://127.0.0.2:<port>`). */
  storageUrl = '';
  readonly requests: RecordedRequest[] = [];
  readonly runs = new Map<string, RunState>();
  readonly artifacts = new Map<string, ArtifactState>();
  /** Content-addressed artifact storage, by storage path. */
  readonly blobs = new Map<string, Buffer>();
  private readonly faults: (Fault & { left: number })[] = [];
  private readonly puts = new Map<string, PutTarget>();
  private readonly gets = new Map<string, { name: string; read: () => Buffer | undefined }>();
  private server?: http.Server;
  private storage?: http.Server;
  private readonly sockets = new Set<import('node:net').Socket>();
  private ids = 0;

  constructor(options: StandInOptions = {}) {
    this.apiKey = options.apiKey ?? TEST_API_KEY;
    this.entity = options.entity ?? 'stand-in-user';
    this.teams = options.teams ?? ['stand-in-team'];
    this.markRunFilesUploaded = options.markRunFilesUploaded ?? true;
    this.viewerNullOnBadKey = options.viewerNullOnBadKey ?? false;
    this.serverFeatures = options.serverFeatures ?? true;
  }

  async start(): Promise<this> {
    const serve = (storage: boolean) => {
      const server = http.createServer((req, res) => {
        this.handle(req, res, storage).catch((error) => {
          if (!res.headersSent) this.json(res, 500, { error: String(error?.stack ?? error) });
          else res.destroy();
        });
      });
      server.on('connection', (socket) => {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
      });
      return server;
    };
    const listen = (server: http.Server, host: string) =>
      new Promise<string>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, host, () => resolve(`http://${host}:${(server.address() as AddressInfo).port}`));
      });
    this.server = serve(false);
    this.storage = serve(true);
    this.url = await listen(this.server, '127.0.0.1');
    this.storageUrl = await listen(this.storage, '127.0.0.2');
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    for (const server of [this.server, this.storage]) {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    }
  }

  /** Queues a fault. */
  fail(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /** Faults not yet consumed. */
  pendingFaults(): Fault[] {
    return this.faults.filter((f) => f.left > 0);
  }

  operations(): string[] {
    return this.requests.filter((r) => r.kind === 'graphql').map((r) => r.operation ?? '?');
  }

  run(entity: string, project: string, name: string): RunState | undefined {
    return this.runs.get(`${entity}/${project}/${name}`);
  }

  private nextId(prefix: string): string {
    return Buffer.from(`${prefix}:${++this.ids}`).toString('base64');
  }

  private takeFault(on: Fault['on'], subject: string): (Fault & { left: number }) | undefined {
    const fault = this.faults.find((f) => f.left > 0 && f.on === on && (!f.match || subject.includes(f.match)));
    if (fault) fault.left--;
    return fault;
  }

  private json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  }

  private authorized(req: http.IncomingMessage): boolean {
    const expected = `Basic ${Buffer.from(`api:${this.apiKey}`).toString('base64')}`;
    return req.headers.authorization === expected;
  }

  private async body(req: http.IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /** Answers a fault with a status (and Retry-After) or a cut; true when it did. */
  private applyFault(fault: Fault | undefined, req: http.IncomingMessage, res: http.ServerResponse): boolean {
    if (!fault) return false;
    if (fault.delayMs) {
      // Answer late with a 200 the client should have given up on.
      req.resume();
      setTimeout(() => {
        if (!res.destroyed) this.json(res, 200, { data: null, errors: [{ message: 'too late' }] });
      }, fault.delayMs);
      return true;
    }
    if (fault.cut && fault.on !== 'download') {
      req.socket.destroy();
      return true;
    }
    if (fault.status) {
      req.resume();
      this.json(
        res,
        fault.status,
        { errors: [{ message: `injected ${fault.status}` }] },
        fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {},
      );
      return true;
    }
    return false;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, storage: boolean): Promise<void> {
    const url = new URL(req.url ?? '/', storage ? this.storageUrl : this.url);
    const record: RecordedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      kind: 'other',
      status: 0,
      headers: req.headers,
    };
    this.requests.push(record);
    res.on('finish', () => (record.status = res.statusCode));
    const path = url.pathname;

    if (storage) {
      if (req.headers.authorization) {
        req.resume();
        // Signed URLs carry their own authority; storage services reject a second one.
        return this.json(res, 400, { error: 'signed storage URL must not carry an Authorization header' });
      }
      if (req.method === 'PUT' && path.startsWith('/storage/put/')) {
        record.kind = 'upload';
        return this.handlePut(path.slice('/storage/put/'.length), req, res);
      }
      if (req.method === 'GET' && path.startsWith('/storage/get/')) {
        record.kind = 'download';
        return this.handleGet(path.slice('/storage/get/'.length), req, res);
      }
      return this.json(res, 405, { error: 'method not allowed' });
    }
    if (path.startsWith('/storage/')) {
      req.resume();
      return this.json(res, 404, { error: 'storage is not served by the API host' });
    }

    if (!this.authorized(req)) {
      req.resume();
      if (this.viewerNullOnBadKey && path === '/graphql' && req.headers.authorization) {
        return this.json(res, 200, { data: { viewer: null } });
      }
      return this.json(res, 401, { errors: [{ message: 'user is not logged in' }] });
    }
    if (path === '/graphql' && req.method === 'POST') {
      record.kind = 'graphql';
      return this.handleGraphql(req, res, record);
    }
    const files = /^\/files\/([^/]+)\/([^/]+)\/([^/]+)\/(.+)$/.exec(path);
    if (files) {
      const [entity, project, name, rest] = files.slice(1).map(decodeURIComponent);
      if (rest === 'file_stream' && req.method === 'POST') {
        record.kind = 'file_stream';
        return this.handleFileStream(entity, project, name, req, res);
      }
      if (req.method === 'GET') {
        record.kind = 'files';
        if (this.applyFault(this.takeFault('files', rest), req, res)) return;
        const file = this.run(entity, project, name)?.files.get(rest);
        if (!file?.marked || !file.content) return this.json(res, 404, { error: 'file not found' });
        res.writeHead(302, { Location: this.signedGet(file.name, () => file.content) });
        return void res.end();
      }
    }
    req.resume();
    this.json(res, 404, { error: `no route ${req.method} ${path}` });
  }

  private signedGet(name: string, read: () => Buffer | undefined): string {
    const token = randomBytes(12).toString('hex');
    this.gets.set(token, { name, read });
    return `${this.storageUrl}/storage/get/${token}?X-Signature=${randomBytes(8).toString('hex')}`;
  }

  private signedPut(target: PutTarget): string {
    const token = randomBytes(12).toString('hex');
    this.puts.set(token, target);
    return `${this.storageUrl}/storage/put/${token}?X-Signature=${randomBytes(8).toString('hex')}`;
  }

  private async handlePut(token: string, req: http.IncomingMessage, res: http.ServerResponse) {
    const target = this.puts.get(token);
    if (!target) {
      req.resume();
      return this.json(res, 403, { error: 'unknown or expired signature' });
    }
    if (this.applyFault(this.takeFault('upload', target.name), req, res)) return;
    if (req.headers['content-length'] === undefined) {
      req.resume();
      return this.json(res, 411, { error: 'Content-Length required (no chunked uploads)' });
    }
    for (const [key, value] of Object.entries(target.headers)) {
      if (req.headers[key.toLowerCase()] !== value) {
        req.resume();
        return this.json(res, 400, { error: `missing signed header ${key}` });
      }
    }
    for (const unexpected of ['content-md5']) {
      if (req.headers[unexpected] !== undefined) {
        req.resume();
        return this.json(res, 400, { error: `header ${unexpected} is not part of the signature` });
      }
    }
    if (req.headers['content-type'] !== undefined && !('Content-Type' in target.headers)) {
      req.resume();
      return this.json(res, 400, { error: 'Content-Type is not part of the signature' });
    }
    const content = await this.body(req);
    if (content.length !== Number(req.headers['content-length'])) {
      return this.json(res, 400, { error: 'body shorter than Content-Length' });
    }
    if (target.expectMd5 && b64md5(content) !== target.expectMd5) {
      return this.json(res, 400, { error: 'BadDigest: content does not match the declared md5' });
    }
    target.store(content);
    res.writeHead(200);
    res.end();
  }

  private async handleGet(token: string, req: http.IncomingMessage, res: http.ServerResponse) {
    const target = this.gets.get(token);
    const content = target?.read();
    if (!target || !content) return this.json(res, 404, { error: 'no such object' });
    const fault = this.takeFault('download', target.name);
    if (this.applyFault(fault && !fault.cut && !fault.corrupt && !fault.stall ? fault : undefined, req, res)) return;
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': content.length });
    if (fault?.stall) {
      res.write(content.subarray(0, Math.floor(content.length / 2)));
      return;
    }
    if (fault?.cut) {
      res.write(content.subarray(0, Math.floor(content.length / 2)));
      setTimeout(() => req.socket.destroy(), 10);
      return;
    }
    if (fault?.corrupt) {
      const copy = Buffer.from(content);
      copy[copy.length >> 1] ^= 0xff;
      return void res.end(copy);
    }
    res.end(content);
  }

  private async handleFileStream(
    entity: string,
    project: string,
    name: string,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ) {
    if (this.applyFault(this.takeFault('file_stream', name), req, res)) return;
    const raw = await this.body(req);
    if (raw.length > 10 * 1024 * 1024) return this.json(res, 413, { error: 'request too large' });
    const run = this.run(entity, project, name);
    if (!run) return this.json(res, 404, { error: 'run not found' });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString('utf8'));
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
    } catch {
      return this.json(res, 400, { error: 'body must be a JSON object' });
    }
    run.fileStream.push(body);
    if (body.uploaded !== undefined) {
      if (!Array.isArray(body.uploaded) || body.uploaded.some((n) => typeof n !== 'string')) {
        return this.json(res, 400, { error: 'uploaded must be a list of file names' });
      }
      for (const fileName of body.uploaded as string[]) {
        const file = run.files.get(fileName);
        if (file?.content) {
          file.marked = true;
          file.updatedAt = new Date().toISOString();
        }
      }
    }
    if (body.complete === true) run.state = 'finished';
    this.json(res, 200, {});
  }

  private async handleGraphql(req: http.IncomingMessage, res: http.ServerResponse, record: RecordedRequest) {
    if (!String(req.headers['content-type']).startsWith('application/json')) {
      req.resume();
      return this.json(res, 400, { errors: [{ message: 'Content-Type must be application/json' }] });
    }
    let body: { query?: unknown; variables?: unknown; operationName?: unknown };
    try {
      body = JSON.parse((await this.body(req)).toString('utf8'));
    } catch {
      return this.json(res, 400, { errors: [{ message: 'body is not JSON' }] });
    }
    if (typeof body.query !== 'string') return this.json(res, 400, { errors: [{ message: 'query missing' }] });
    let document: DocumentNode;
    try {
      document = parse(body.query);
    } catch (error) {
      return this.json(res, 400, { errors: [{ message: (error as Error).message }] });
    }
    const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
    const operationName =
      typeof body.operationName === 'string'
        ? body.operationName
        : operations.length === 1
          ? operations[0].name?.value
          : undefined;
    record.operation = operationName;
    record.variables = (body.variables ?? {}) as Record<string, unknown>;
    if (operationName && this.applyFault(this.takeFault('graphql', operationName), req, res)) return;
    const schema = wandbSchema(this.serverFeatures);
    const errors = validate(schema, document);
    if (errors.length > 0) return this.json(res, 400, { errors: errors.map((e) => ({ message: e.message })) });
    const result = await execute({
      schema,
      document,
      rootValue: this.root(),
      variableValues: (body.variables ?? {}) as Record<string, unknown>,
      operationName,
    });
    const status = result.errors?.length && !result.data ? 400 : 200;
    this.json(res, status, {
      data: result.data,
      ...(result.errors?.length ? { errors: result.errors.map((e) => ({ message: e.message, path: e.path })) } : {}),
    });
  }

  // ---- GraphQL resolvers -------------------------------------------------------------------------------

  private checkEntity(entity: string): void {
    if (entity !== this.entity && !this.teams.includes(entity)) {
      throw new GraphQLError(`permission denied: you are not a member of entity ${entity}`);
    }
  }

  private projectView(entity: string, project: string) {
    return {
      id: this.nextId(`Project:${entity}/${project}`),
      internalId: Buffer.from(`${entity}/${project}`).toString('base64'),
      name: project,
      entity: { id: Buffer.from(`Entity:${entity}`).toString('base64'), name: entity },
      run: ({ name }: { name: string }) => {
        const run = this.run(entity, project, name);
        return run ? this.runView(run) : null;
      },
      // The older name of the same field (`model { bucket(name:) }`, as the JS SDK asks).
      bucket: ({ name }: { name: string }) => {
        const run = this.run(entity, project, name);
        return run ? this.runView(run, true) : null;
      },
    };
  }

  /** `legacy`: reached as `model.bucket`, the older upload path, where naming a file creates its entry. */
  private runView(run: RunState, legacy = false) {
    const visible = () => [...run.files.values()].filter((f) => f.content || !f.marked);
    return {
      id: run.storageId,
      name: run.name,
      displayName: run.name,
      description: null,
      config: run.config,
      sweepName: null,
      historyLineCount: 0,
      project: () => this.projectView(run.entity, run.project),
      fileCount: () => [...run.files.values()].filter((f) => f.marked).length,
      files: (args: { names?: (string | null)[] | null; after?: string; first?: number; pattern?: string }) => {
        const names = (args.names ?? []).filter((n): n is string => typeof n === 'string');
        if (legacy) for (const name of names) this.runFile(run, name);
        if (names.length > 0 && args.pattern) throw new GraphQLError('names and pattern cannot be combined');
        if (args.first !== undefined && args.first !== null && args.first > 1000)
          throw new GraphQLError('first: at most 1000');
        let files = visible().sort((a, b) => a.name.localeCompare(b.name));
        if (names.length > 0) files = files.filter((f) => names.includes(f.name));
        if (args.pattern) files = files.filter((f) => like(args.pattern!, f.name));
        return {
          ...page(
            files.map((f) => this.runFileView(run, f)),
            args.after,
            args.first,
          ),
          // The headers a PUT to `url(upload: true)` must carry (the JS SDK's RunUploadUrls asks).
          uploadHeaders: RUN_FILE_UPLOAD_HEADERS,
        };
      },
      outputArtifacts: (args: { after?: string; first?: number }) =>
        page(
          run.outputArtifacts.map((id) => this.artifactView(this.artifacts.get(id)!)),
          args.after,
          args.first,
        ),
    };
  }

  private runFileView(run: RunState, file: StoredFile) {
    const uploaded = file.marked && file.content;
    return {
      id: file.id,
      name: file.name,
      displayName: file.name,
      // With `upload: true` (the JS SDK's RunUploadUrls), a signed URL to upload the file to.
      url: ({ upload }: { upload?: boolean | null }) =>
        upload
          ? this.runFilePut(file)
          : `${this.url}/files/${encodeURIComponent(run.entity)}/${encodeURIComponent(run.project)}/${encodeURIComponent(run.name)}/${file.name}`,
      // Non-null in W&B's schema: a listed file always has one, answering 404 until the bytes are there.
      directUrl: this.signedGet(file.name, () => (file.marked ? file.content : undefined)),
      sizeBytes: uploaded ? file.content!.length : 0,
      mimetype: 'application/octet-stream',
      updatedAt: uploaded ? file.updatedAt : null,
      md5: uploaded ? b64md5(file.content!) : null,
    };
  }

  /** The run's file `name`, listed from now on (not uploaded yet). */
  private runFile(run: RunState, name: string): StoredFile {
    if (name.startsWith('/') || name.split('/').includes('..')) throw new GraphQLError(`invalid file name ${name}`);
    const file = run.files.get(name) ?? { id: this.nextId('File'), name, marked: false };
    run.files.set(name, file);
    return file;
  }

  /** A signed URL to upload a run file to. */
  private runFilePut(file: StoredFile): string {
    return this.signedPut({
      headers: Object.fromEntries(RUN_FILE_UPLOAD_HEADERS.map((h) => h.split(':').map((x) => x.trim()))),
      name: file.name,
      store: (content) => {
        file.content = content;
        // A server without MarkRunFilesUploaded registers a run file on upload.
        file.marked = !this.markRunFilesUploaded;
        if (file.marked) file.updatedAt = new Date().toISOString();
      },
    });
  }

  private artifactView(a: ArtifactState): Record<string, unknown> {
    return {
      id: a.id,
      versionIndex: a.versionIndex,
      state: a.state,
      digest: a.digest,
      size: () => [...a.files.values()].reduce((n, f) => n + (this.blobs.get(f.storagePath)?.length ?? 0), 0),
      fileCount: a.files.size,
      artifactType: { name: a.type },
      artifactSequence: {
        id: Buffer.from(`Sequence:${a.entity}/${a.project}/${a.collection}`).toString('base64'),
        name: a.collection,
        project: () => this.projectView(a.entity, a.project),
        latestArtifact: () => {
          const latest = [...this.artifacts.values()]
            .filter(
              (x) =>
                x.collection === a.collection &&
                x.entity === a.entity &&
                x.project === a.project &&
                x.state === 'COMMITTED',
            )
            .sort((x, y) => (y.versionIndex ?? 0) - (x.versionIndex ?? 0))[0];
          return latest ? this.artifactView(latest) : null;
        },
      },
      aliases: a.aliases.map((alias) => ({ alias, artifactCollectionName: a.collection })),
      currentManifest: () =>
        a.manifest?.content
          ? {
              id: a.manifest.id,
              file: {
                id: a.manifest.id,
                name: a.manifest.name,
                directUrl: this.signedGet('wandb_manifest.json', () => a.manifest?.content),
              },
            }
          : null,
      files: (args: { after?: string; first?: number }) => {
        if (args.first !== undefined && args.first !== null && args.first > 5000)
          throw new GraphQLError('first: at most 5000');
        const files = [...a.files.values()].sort((x, y) => x.name.localeCompare(y.name));
        return page(
          files.map((f) => ({
            id: Buffer.from(`ArtifactFile:${a.id}/${f.name}`).toString('base64'),
            name: f.name,
            directUrl: this.signedGet(f.name, () => this.blobs.get(f.storagePath)),
            md5: f.md5,
          })),
          args.after,
          args.first,
        );
      },
    };
  }

  private pendingArtifact(id: string): ArtifactState {
    const artifact = this.artifacts.get(id);
    if (!artifact) throw new GraphQLError(`artifact ${id} not found`);
    if (artifact.state !== 'PENDING') throw new GraphQLError(`artifact ${id} is ${artifact.state}, not PENDING`);
    return artifact;
  }

  private root() {
    return {
      viewer: () => ({
        id: Buffer.from(`User:${this.entity}`).toString('base64'),
        entity: this.entity,
        username: this.entity,
        email: `${this.entity}@example.invalid`,
        flags: '{}',
        teams: {
          edges: this.teams.map((name) => ({ node: { id: Buffer.from(`Entity:${name}`).toString('base64'), name } })),
        },
      }),
      serverInfo: () => ({ features: [{ name: 'MARK_RUN_FILES_UPLOADED', isEnabled: this.markRunFilesUploaded }] }),
      project: ({ name, entityName }: { name?: string; entityName?: string }) => {
        const entity = entityName ?? this.entity;
        const exists = [...this.runs.values()].some((r) => r.entity === entity && r.project === name);
        return name && exists ? this.projectView(entity, name) : null;
      },
      model: ({ name, entityName }: { name?: string; entityName?: string }) => {
        const entity = entityName ?? this.entity;
        const exists = [...this.runs.values()].some((r) => r.entity === entity && r.project === name);
        return name && exists ? this.projectView(entity, name) : null;
      },
      artifact: ({ id }: { id: string }) => {
        const artifact = this.artifacts.get(id);
        return artifact ? this.artifactView(artifact) : null;
      },
      upsertBucket: ({ input }: { input: Record<string, any> }) => {
        let run: RunState | undefined;
        if (input.id) {
          run = [...this.runs.values()].find((r) => r.storageId === input.id);
          if (!run) throw new GraphQLError(`run ${input.id} not found`);
        } else {
          const entity = input.entityName ?? this.entity;
          this.checkEntity(entity);
          const project = input.modelName ?? 'uncategorized';
          const name = input.name ?? randomBytes(4).toString('hex');
          if (/[:;,#?/']/.test(name)) throw new GraphQLError(`invalid run name ${name}`);
          run = this.run(entity, project, name);
          if (!run) {
            run = {
              storageId: this.nextId('Run'),
              entity,
              project,
              name,
              config: '{}',
              state: input.state ?? 'running',
              files: new Map(),
              outputArtifacts: [],
              fileStream: [],
            };
            this.runs.set(`${entity}/${project}/${name}`, run);
            if (input.config != null) run.config = input.config;
            return { bucket: this.runView(run), inserted: true };
          }
        }
        if (input.config != null) {
          try {
            JSON.parse(input.config);
          } catch {
            throw new GraphQLError('config is not a JSON string');
          }
          run.config = input.config;
        }
        if (input.state != null) run.state = input.state;
        return { bucket: this.runView(run), inserted: false };
      },
      createRunFiles: ({
        input,
      }: {
        input: { entityName: string; projectName: string; runName: string; files: string[] };
      }) => {
        this.checkEntity(input.entityName);
        const run = this.run(input.entityName, input.projectName, input.runName);
        // runID is String! in W&B's schema: no run is an error, and the whole payload is null.
        if (!run) throw new GraphQLError(`run ${input.entityName}/${input.projectName}/${input.runName} not found`);
        return {
          runID: run.storageId,
          uploadHeaders: RUN_FILE_UPLOAD_HEADERS,
          files: input.files.map((name) => {
            const file = this.runFile(run, name);
            return { ...this.runFileView(run, file), uploadUrl: this.runFilePut(file) };
          }),
        };
      },
      markRunFilesUploaded: ({
        input,
      }: {
        input: { entityName: string; projectName: string; runName: string; files: string[] };
      }) => {
        if (!this.markRunFilesUploaded)
          throw new GraphQLError('Cannot query field "markRunFilesUploaded" on type "Mutation".');
        this.checkEntity(input.entityName);
        const run = this.run(input.entityName, input.projectName, input.runName);
        if (!run) throw new GraphQLError('run not found');
        for (const name of input.files) {
          const file = run.files.get(name);
          if (!file?.content) throw new GraphQLError(`file ${name} was not uploaded`);
          file.marked = true;
          file.updatedAt = new Date().toISOString();
        }
        return { success: true };
      },
      createArtifact: ({ input }: { input: Record<string, any> }) => {
        this.checkEntity(input.entityName);
        const collection: string | undefined = input.artifactCollectionName ?? input.artifactCollectionNames?.[0];
        if (!collection) throw new GraphQLError('artifactCollectionName required');
        if (collection.length > 128 || /[^A-Za-z0-9_.-]/.test(collection))
          throw new GraphQLError(`invalid artifact name ${collection}`);
        if (!/^[0-9a-f]{32}$/.test(input.digest)) throw new GraphQLError('digest must be a hex MD5');
        const run = input.runName ? this.run(input.entityName, input.projectName, input.runName) : undefined;
        if (input.runName && !run) throw new GraphQLError(`run ${input.runName} not found`);
        if (input.enableDigestDeduplication) {
          const same = [...this.artifacts.values()].find(
            (a) =>
              a.entity === input.entityName &&
              a.project === input.projectName &&
              a.collection === collection &&
              a.state === 'COMMITTED' &&
              a.digest === input.digest,
          );
          if (same) {
            if (run && !run.outputArtifacts.includes(same.id)) run.outputArtifacts.push(same.id);
            return { artifact: this.artifactView(same) };
          }
        }
        const artifact: ArtifactState = {
          id: this.nextId('Artifact'),
          entity: input.entityName,
          project: input.projectName,
          type: input.artifactTypeName,
          collection,
          digest: input.digest,
          state: 'PENDING',
          versionIndex: null,
          aliases: (input.aliases ?? []).map((a: { alias: string }) => a.alias),
          runName: input.runName ?? undefined,
          files: new Map(),
        };
        this.artifacts.set(artifact.id, artifact);
        return { artifact: this.artifactView(artifact) };
      },
      createArtifactManifest: ({ input }: { input: Record<string, any> }) => {
        const artifact = this.pendingArtifact(input.artifactID);
        this.checkEntity(input.entityName);
        if (input.name !== 'wandb_manifest.json') throw new GraphQLError('manifest name must be wandb_manifest.json');
        artifact.manifest ??= { id: this.nextId('ArtifactManifest'), name: input.name, digest: '', storagePath: '' };
        const manifest = artifact.manifest;
        manifest.digest = input.digest;
        manifest.storagePath = `wandb_artifacts/${artifact.id}/manifest`;
        const headers = { 'Content-Type': 'application/json' };
        return {
          artifactManifest: {
            id: manifest.id,
            file: {
              id: manifest.id,
              name: manifest.name,
              uploadHeaders: ['Content-Type:application/json'],
              uploadUrl: () =>
                manifest.digest
                  ? this.signedPut({
                      headers,
                      name: 'wandb_manifest.json',
                      expectMd5: manifest.digest,
                      store: (content) => (manifest.content = content),
                    })
                  : null,
            },
          },
        };
      },
      createArtifactFiles: ({ input }: { input: { artifactFiles: Record<string, any>[]; storageLayout: string } }) => {
        const edges = input.artifactFiles.map((spec) => {
          const artifact = this.pendingArtifact(spec.artifactID);
          if (spec.artifactManifestID && spec.artifactManifestID !== artifact.manifest?.id) {
            throw new GraphQLError(
              `manifest ${spec.artifactManifestID} does not belong to artifact ${spec.artifactID}`,
            );
          }
          const hex = Buffer.from(spec.md5, 'base64').toString('hex');
          if (hex.length !== 32) throw new GraphQLError(`md5 of ${spec.name} is not a base64 MD5`);
          const storagePath = `wandb_artifacts/${input.storageLayout}/${hex}`;
          const known = [...this.artifacts.values()]
            .flatMap((a) => [...a.files.values()])
            .find((f) => f.storagePath === storagePath && this.blobs.has(storagePath));
          const file: ArtifactFileState = {
            name: spec.name,
            md5: spec.md5,
            storagePath,
            birthArtifactId: known?.birthArtifactId ?? artifact.id,
          };
          artifact.files.set(spec.name, file);
          const birth = this.artifacts.get(file.birthArtifactId)!;
          return {
            storagePath,
            uploadUrl: known
              ? null
              : this.signedPut({
                  headers: { 'X-Stand-In-Blob': hex },
                  name: spec.name,
                  expectMd5: spec.md5,
                  store: (content) => this.blobs.set(storagePath, content),
                }),
            uploadHeaders: known ? [] : [`X-Stand-In-Blob:${hex}`],
            artifact: this.artifactView(birth),
          };
        });
        return {
          files: {
            edges: edges.map((node, i) => ({ node, cursor: cursorOf(i) })),
            pageInfo: { endCursor: null, hasNextPage: false },
          },
        };
      },
      commitArtifact: ({ input }: { input: { artifactID: string } }) => {
        const artifact = this.pendingArtifact(input.artifactID);
        const content = artifact.manifest?.content;
        if (!content) throw new GraphQLError('cannot commit: the manifest was not uploaded');
        const manifest = JSON.parse(content.toString('utf8')) as {
          version: number;
          contents: Record<string, { digest: string; birthArtifactID?: string; size?: number }>;
        };
        if (manifest.version !== 1) throw new GraphQLError('manifest version must be 1');
        if (manifestDigestOf(manifest.contents) !== artifact.digest) {
          throw new GraphQLError('cannot commit: the manifest does not match the artifact digest');
        }
        for (const [path, entry] of Object.entries(manifest.contents)) {
          const file = artifact.files.get(path);
          if (!file || file.md5 !== entry.digest || !this.blobs.has(file.storagePath)) {
            throw new GraphQLError(`cannot commit: file ${path} was not stored`);
          }
          if (entry.birthArtifactID !== file.birthArtifactId)
            throw new GraphQLError(`wrong birthArtifactID for ${path}`);
        }
        const siblings = [...this.artifacts.values()].filter(
          (a) =>
            a.entity === artifact.entity &&
            a.project === artifact.project &&
            a.collection === artifact.collection &&
            a.state === 'COMMITTED',
        );
        for (const sibling of siblings) sibling.aliases = sibling.aliases.filter((a) => !artifact.aliases.includes(a));
        artifact.state = 'COMMITTED';
        artifact.versionIndex = siblings.length;
        artifact.aliases.push(`v${artifact.versionIndex}`);
        if (artifact.runName) {
          const run = this.run(artifact.entity, artifact.project, artifact.runName);
          if (run && !run.outputArtifacts.includes(artifact.id)) run.outputArtifacts.push(artifact.id);
        }
        return { artifact: this.artifactView(artifact) };
      },
    };
  }
}

/** Starts a stand-in on 127.0.0.1 at a free port. */
export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  return new StandIn(options).start();
}
