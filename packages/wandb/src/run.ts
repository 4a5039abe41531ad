/** Which run: `{ entity, project, id }`, `entity/project/id`, a W&B URL, or an `@wandb/sdk` run object. */
import { CodesaveError } from '@codesave/core';

/** A run of the official `@wandb/sdk`: has `entity`, `project`, `id` (and `settings`, `finish()`). */
export interface SdkRunLike {
  entity?: string;
  project?: string;
  id: string;
  settings?: { baseUrl?: string; apiKey?: string };
  finish?: (...args: any[]) => unknown;
}

/** A run as the API accepts it. `entity` may be left out: the key's default entity is used. */
export type RunRef = string | { entity?: string; project?: string; id?: string } | SdkRunLike;

export interface RunPath {
  entity?: string;
  project: string;
  id: string;
  /** True for a live `@wandb/sdk` run: files are then marked uploaded through its `file_stream`. */
  live: boolean;
  /** Connection settings carried by an SDK run object. */
  baseUrl?: string;
  apiKey?: string;
}

const BAD_ID = /[:;,#?/']/;

/**
 * Turns a run reference into entity/project/id, falling back to `WANDB_ENTITY`, `WANDB_PROJECT` and
 * `WANDB_RUN_ID` for the parts it leaves out.
 */
export function parseRunRef(ref: RunRef | undefined, env: Record<string, string | undefined> = process.env): RunPath {
  let entity: string | undefined;
  let project: string | undefined;
  let id: string | undefined;
  let live = false;
  let baseUrl: string | undefined;
  let apiKey: string | undefined;
  if (typeof ref === 'string') {
    let text = ref.trim();
    const isUrl = /^https?:\/\//.test(text);
    if (isUrl) text = new URL(text).pathname;
    const parts = text.split('/').filter(Boolean);
    // A run page URL: /entity/project/runs/id[/overview|/files|…]; a path may also spell entity/project/runs/id.
    if ((isUrl && parts.length >= 4 && parts[2] === 'runs') || (parts.length === 4 && parts[2] === 'runs')) {
      parts.splice(2, 1);
      parts.length = 3;
    }
    if (parts.length === 3) [entity, project, id] = parts;
    else if (parts.length === 2) [project, id] = parts;
    else if (parts.length === 1) [id] = parts;
    else {
      throw new CodesaveError('ERR_BAD_OPTION', `"${ref}" is not a run path: expected entity/project/run_id`);
    }
  } else if (ref && typeof ref === 'object') {
    entity = ref.entity || undefined;
    project = ref.project || undefined;
    id = ref.id || undefined;
    const sdk = ref as SdkRunLike;
    if (typeof sdk.finish === 'function' || (sdk.settings && typeof sdk.settings === 'object')) {
      live = true;
      baseUrl = sdk.settings?.baseUrl || undefined;
      apiKey = sdk.settings?.apiKey || undefined;
    }
  } else if (ref !== undefined && ref !== null) {
    throw new CodesaveError(
      'ERR_BAD_OPTION',
      'run must be an "entity/project/id" path or an object with entity, project and id',
    );
  }
  entity ??= env.WANDB_ENTITY || undefined;
  project ??= env.WANDB_PROJECT || undefined;
  id ??= env.WANDB_RUN_ID || undefined;
  if (!project || !id) {
    throw new CodesaveError(
      'ERR_BAD_OPTION',
      `which W&B run? missing its ${!project ? 'project' : 'id'}: pass "entity/project/run_id" or set WANDB_PROJECT and WANDB_RUN_ID`,
    );
  }
  if (BAD_ID.test(id)) {
    throw new CodesaveError('ERR_BAD_OPTION', `run id "${id}" may not contain any of : ; , # ? / '`);
  }
  return { entity, project, id, live, baseUrl, apiKey };
}

/** `entity/project/id`, for messages. */
export function formatRunPath(run: { entity?: string; project: string; id: string }): string {
  return `${run.entity ?? '(default entity)'}/${run.project}/${run.id}`;
}
