/**
 * `@codesave/wandb`: push codesave snapshots into Weights & Biases runs and pull them back.
 * @packageDocumentation
 */
export {};
