/** `WandbCodebase.open()`: a run's code as a `ZipCodebase`, in one call. */
import { type CodebaseOptions, ZipCodebase } from '@codesave/core';
import { type ZipFromWandbOptions, zipFromWandb } from './pull.js';
import { parseRunRef, type RunRef } from './run.js';
import { fetchWandbSource, type WandbSourceOptions } from './source.js';

export interface WandbCodebaseOptions extends CodebaseOptions {
  /**
   * How to reach W&B, and where to keep the zip: `output` for a place of your own; otherwise the per-user
   * cache (`cacheDir`), where the zip is downloaded once and verified before each later use.
   */
  wandb?: ZipFromWandbOptions & WandbSourceOptions;
}

/**
 * Opens the code of a W&B run as a {@link ZipCodebase}, whichever kind of run it is: its `codebase.zip` or
 * `files/codebase.zip`, else the code artifact its `run.log_code()` logged (checkpointed into a zip). The run
 * is a path (`entity/project/run`, with or without `wandb:`), a run URL, or an `@wandb/sdk` run object.
 */
export const WandbCodebase = {
  async open(runRef: RunRef | undefined, options: WandbCodebaseOptions = {}): Promise<ZipCodebase> {
    const { wandb = {}, ...codebaseOptions } = options;
    const ref = typeof runRef === 'string' ? runRef.replace(/^wandb:/i, '') : runRef;
    let zip: string;
    if (wandb.output !== undefined || (ref !== undefined && typeof ref !== 'string')) {
      zip = await zipFromWandb(ref, wandb);
    } else {
      const path = parseRunRef(ref, wandb.env ?? process.env);
      const spec = `${path.entity ? `${path.entity}/` : ''}${path.project}/${path.id}`;
      zip = await fetchWandbSource(spec, wandb);
    }
    return ZipCodebase.open(zip, codebaseOptions);
  },
};
