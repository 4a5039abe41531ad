/** The `codesave` package: the whole library (core and W&B) plus the `codesave` command. */
export * from '@codesave/core';
export * from '@codesave/wandb';
