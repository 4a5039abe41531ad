/** `WandbCodebase.open()`: a run's code as a `ZipCodebase`, in one call. */
import { type CodebaseOptions, ZipCodebase } from '@codesave/core';
import { type ZipFromWandbOptions, zipFromWandb } from './pull.js';
import type { RunRef } from './run.js';

export interface WandbCodebaseOptions extends CodebaseOptions {
  /** How to reach W&B, and where to keep the zip (see {@link zipFromWandb}). */
  wandb?: ZipFromWandbOptions;
}

/**
 * Opens the code of a W&B run as a {@link ZipCodebase}: its `codebase.zip` if it has one, else the code artifact
 * its `run.log_code()` logged (checkpointed into a zip). The zip is kept at `wandb.output` (default: under the
 * system temp dir), and its virtual root is that path.
 */
export const WandbCodebase = {
  async open(runRef: RunRef | undefined, options: WandbCodebaseOptions = {}): Promise<ZipCodebase> {
    const { wandb, ...codebaseOptions } = options;
    const zip = await zipFromWandb(runRef, wandb);
    return ZipCodebase.open(zip, codebaseOptions);
  },
};
