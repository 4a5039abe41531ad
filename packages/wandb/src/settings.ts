/**
 * Where the W&B server is, and who we are to it: base URL, API key, default entity/project/run,
 * resolved the way the official clients resolve them (environment, `wandb/settings` files, netrc).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CodesaveError } from '@codesave/core';

export const DEFAULT_BASE_URL = 'https://api.wandb.ai';

/** What a caller may set explicitly; everything else comes from the environment and settings files. */
export interface WandbConnectionOptions {
  /** Server to talk to (default: `WANDB_BASE_URL`, the settings files, then `https://api.wandb.ai`). */
  baseUrl?: string;
  /** API key (default: `WANDB_API_KEY`, then the netrc entry for the base URL's host). Never logged. */
  apiKey?: string;
  /** Environment to read `WANDB_*` variables from (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Directory holding the project-local `wandb/settings` (default `process.cwd()`). */
  cwd?: string;
  /** Home directory for `~/.netrc` and `~/.config/wandb/settings` (default `os.homedir()`). */
  home?: string;
}

/** The resolved connection settings. `apiKey` is looked up lazily so that errors can say how to fix it. */
export interface WandbSettings {
  baseUrl: string;
  entity?: string;
  project?: string;
  runId?: string;
  /** Per-attempt timeout of GraphQL requests, in ms (`WANDB_HTTP_TIMEOUT` seconds; default 30 s). */
  timeoutMs: number;
  /** Extra headers for requests to the base URL (`WANDB_X_EXTRA_HTTP_HEADERS`). */
  extraHeaders: Record<string, string>;
  /** Where the key came from, for error messages: `option`, `WANDB_API_KEY`, a netrc path, or undefined. */
  apiKeySource?: string;
  apiKey?: string;
}

/** Parses an INI file into `{ section: { key: value } }`; `#`/`;` comments, `key = value` or `key: value`. */
export function parseIni(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1].trim();
      continue;
    }
    const eq = line.search(/[=:]/);
    if (eq <= 0) continue;
    out[section] ??= {};
    out[section][line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

/** The `password` of the netrc entry whose `machine` is `host` (or the `default` entry). */
export function netrcPassword(text: string, host: string): string | undefined {
  const tokens = text.split(/\s+/).filter(Boolean);
  let current: string | undefined;
  let fallback: string | undefined;
  let found: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === 'machine') {
      current = tokens[++i];
    } else if (token === 'default') {
      current = '\0default';
    } else if (token === 'macdef') {
      // A macro runs to the next blank line; tokens were split on whitespace, so skip its name only.
      i++;
    } else if ((token === 'login' || token === 'account') && i + 1 < tokens.length) {
      i++;
    } else if (token === 'password' && i + 1 < tokens.length) {
      const value = tokens[++i];
      if (current === host && found === undefined) found = value;
      if (current === '\0default' && fallback === undefined) fallback = value;
    }
  }
  return found ?? fallback;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Why W&B's clients would refuse `key` before sending it, or undefined when they accept it. The rule of
 * wandb's `check_api_key`: OAuth access tokens (`wb_at_…`) and JWT-style `a.b.c` keys pass as they are;
 * otherwise everything after the first `-` (self-hosted keys carry a `host-` or `local-` prefix, which may
 * itself contain dots) must be 40 or more word characters or dashes.
 */
export function apiKeyProblem(key: string): string | undefined {
  if (!key) return 'it is empty';
  if (key.startsWith('wb_at_')) return undefined;
  const jwt = key.split('.');
  if (jwt.length === 3 && jwt.every(Boolean)) return undefined;
  const dash = key.indexOf('-');
  const secret = dash < 0 ? key : key.slice(dash + 1);
  if (!/^[\p{L}\p{N}_-]+$/u.test(secret)) return 'it may only contain letters, digits and underscores';
  if (secret.length < 40) return `it must have 40 or more characters after its prefix, has ${secret.length}`;
  return undefined;
}

/** True when W&B's clients accept the key's shape (see {@link apiKeyProblem}). */
export function isWellFormedApiKey(key: string): boolean {
  return apiKeyProblem(key) === undefined;
}

/** `https://api.wandb.ai/` → `https://api.wandb.ai`; rejects what is not an http(s) URL. */
export function normalizeBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CodesaveError(
      'ERR_BAD_OPTION',
      `W&B base URL "${value}" is not a URL (set WANDB_BASE_URL to e.g. https://api.wandb.ai)`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CodesaveError('ERR_BAD_OPTION', `W&B base URL "${value}" must be http or https`);
  }
  url.search = '';
  url.hash = '';
  return url.href.replace(/\/+$/, '');
}

/** Resolves the settings in the clients' order: explicit option, environment, `./wandb/settings`, global settings. */
export function resolveSettings(options: WandbConnectionOptions = {}): WandbSettings {
  const env = options.env ?? process.env;
  const home = options.home ?? homedir();
  const local = readText(join(options.cwd ?? process.cwd(), 'wandb', 'settings'));
  const globalDir = env.WANDB_CONFIG_DIR || join(home, '.config', 'wandb');
  const global = readText(join(globalDir, 'settings'));
  const files = [local, global].filter((t): t is string => t !== undefined).map((t) => parseIni(t).default ?? {});
  const fromFiles = (key: string) => files.find((f) => f[key])?.[key];

  const baseUrl = normalizeBaseUrl(options.baseUrl || env.WANDB_BASE_URL || fromFiles('base_url') || DEFAULT_BASE_URL);
  const timeoutSeconds = Number(env.WANDB_HTTP_TIMEOUT);
  let extraHeaders: Record<string, string> = {};
  if (env.WANDB_X_EXTRA_HTTP_HEADERS) {
    try {
      const parsed = JSON.parse(env.WANDB_X_EXTRA_HTTP_HEADERS) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        extraHeaders = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
      }
    } catch {
      throw new CodesaveError('ERR_BAD_OPTION', 'WANDB_X_EXTRA_HTTP_HEADERS is not a JSON object');
    }
  }
  const settings: WandbSettings = {
    baseUrl,
    entity: env.WANDB_ENTITY || fromFiles('entity') || undefined,
    project: env.WANDB_PROJECT || fromFiles('project') || undefined,
    runId: env.WANDB_RUN_ID || undefined,
    timeoutMs: Number.isFinite(timeoutSeconds) && timeoutSeconds > 0 ? timeoutSeconds * 1000 : 30_000,
    extraHeaders,
  };
  if (options.apiKey) {
    settings.apiKey = options.apiKey;
    settings.apiKeySource = 'the apiKey option';
  } else if (env.WANDB_API_KEY) {
    settings.apiKey = env.WANDB_API_KEY;
    settings.apiKeySource = 'WANDB_API_KEY';
  } else {
    const host = new URL(baseUrl).host;
    const candidates = env.NETRC ? [env.NETRC] : [join(home, '.netrc'), join(home, '_netrc')];
    for (const path of candidates) {
      const text = readText(path);
      const key = text === undefined ? undefined : netrcPassword(text, host);
      if (key) {
        settings.apiKey = key;
        settings.apiKeySource = `${path} (machine ${host})`;
        break;
      }
    }
  }
  return settings;
}

/** Where a user gets a key for `baseUrl`: the app's `/authorize` page. */
export function authorizeUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  if (url.host === 'api.wandb.ai') return 'https://wandb.ai/authorize';
  return `${url.origin}/authorize`;
}

/** The `ERR_WANDB_AUTH` for "no key at all", saying where we looked and how to fix it. */
export function missingKeyError(baseUrl: string): CodesaveError {
  const host = new URL(baseUrl).host;
  return new CodesaveError(
    'ERR_WANDB_AUTH',
    `no W&B API key for ${baseUrl}: set WANDB_API_KEY, or run "wandb login" (it writes the key to ~/.netrc under "machine ${host}"); get a key at ${authorizeUrl(baseUrl)}`,
    { details: { baseUrl } },
  );
}
