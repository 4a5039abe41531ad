/** `WandbCodebase.open()`: a run's code as a `ZipCodebase`, in one call. */
import * as core from '@codesave/core';
import { CodesaveError } from '@codesave/core';
import { type ZipFromWandbOptions, zipFromWandb } from './pull.js';
import type { RunRef } from './run.js';

// TEMPORARY until ZipCodebase lands in @codesave/core: looked up at call time so this package loads without it.
type ZipCodebaseLike = { open(zip: string, options?: Record<string, unknown>): Promise<any> };

export interface WandbCodebaseOptions extends Record<string, unknown> {
  /** How to reach W&B and where to put the zip (see {@link zipFromWandb}). */
  wandb?: ZipFromWandbOptions;
}

/** Opens the code of a W&B run: its `codebase.zip`, else its `log_code()` artifact, as a `ZipCodebase`. */
export const WandbCodebase = {
  async open(runRef: RunRef | undefined, options: WandbCodebaseOptions = {}): Promise<any> {
    const ZipCodebase = (core as unknown as { ZipCodebase?: ZipCodebaseLike }).ZipCodebase;
    if (!ZipCodebase)
      throw new CodesaveError('ERR_BAD_OPTION', 'ZipCodebase is not available in this build of @codesave/core');
    const { wandb, ...zipOptions } = options;
    const zip = await zipFromWandb(runRef, wandb);
    return ZipCodebase.open(zip, zipOptions);
  },
};
