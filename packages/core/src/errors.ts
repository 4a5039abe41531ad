/**
 * Every failure that codesave itself detects is a {@link CodesaveError} with a stable `code`.
 * Errors thrown by user code inside a codebase are passed through untouched.
 */

/** Stable error codes. Scripts may switch on these; they never change meaning. */
export type CodesaveErrorCode =
  // snapshot (save side)
  | 'ERR_DIR_NOT_FOUND'
  | 'ERR_NOT_A_DIRECTORY'
  | 'ERR_UNREADABLE_FILE'
  | 'ERR_BROKEN_SYMLINK'
  | 'ERR_OUTPUT_DIR_MISSING'
  | 'ERR_OUTPUT_UNWRITABLE'
  | 'ERR_BAD_SIZE'
  | 'ERR_BAD_OPTION'
  | 'ERR_DEPENDENCY_NOT_FOUND'
  | 'ERR_MANIFEST_INVALID'
  // archive (read side)
  | 'ERR_ZIP_NOT_FOUND'
  | 'ERR_ZIP_CORRUPT'
  | 'ERR_ZIP_UNSAFE_PATH'
  | 'ERR_ZIP_DUPLICATE_ENTRY'
  | 'ERR_ZIP_UNSAFE_SYMLINK'
  | 'ERR_ZIP_ENCRYPTED'
  | 'ERR_ZIP_UNSUPPORTED_METHOD'
  | 'ERR_ZIP_TOO_LARGE'
  | 'ERR_ZIP_CRC_MISMATCH'
  | 'ERR_ZIP_HASH_MISMATCH'
  | 'ERR_ZIP_CHANGED'
  | 'ERR_ZIP_ENTRY_NOT_FOUND'
  // runtime (load side)
  | 'ERR_DISPOSED'
  | 'ERR_TIMEOUT'
  | 'ERR_ESM_UNSUPPORTED'
  | 'ERR_TRANSFORM_FAILED'
  | 'ERR_EXPORT_NOT_FOUND'
  // compare (evaluation harness)
  | 'ERR_CASES_NOT_FOUND'
  | 'ERR_CASES_FORMAT'
  | 'ERR_CASES_INVALID'
  | 'ERR_VERSION_OPEN'
  | 'ERR_NOT_CALLABLE'
  | 'ERR_REPORT_INVALID'
  | 'ERR_WORKER_FAILED'
  | 'ERR_OUTPUT_EXISTS'
  // code that leaves JavaScript
  | 'ERR_MATERIALIZE_FAILED'
  | 'ERR_ADDON_NOT_CONTEXT_AWARE'
  // runtime
  | 'ERR_RESERVED_NAME'
  // wandb
  | 'ERR_WANDB_AUTH'
  | 'ERR_WANDB_NOT_FOUND'
  | 'ERR_WANDB_REQUEST'
  | 'ERR_WANDB_TRANSFER'
  | 'ERR_WANDB_NO_CODE'
  | 'ERR_WANDB_AMBIGUOUS'
  | 'ERR_WANDB_UNREACHABLE'
  | 'ERR_WANDB_TIMEOUT'
  // sources (`scheme:…` strings given where a zip path is expected)
  | 'ERR_UNKNOWN_SOURCE';

/** The error class for every failure codesave detects. `code` is stable; `message` says what to do. */
export class CodesaveError extends Error {
  readonly code: CodesaveErrorCode;
  /** Structured facts about the failure (a path, a limit), for programs that handle it. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: CodesaveErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CodesaveError';
    this.code = code;
    this.details = Object.freeze({ ...options.details });
  }
}

/** True for a {@link CodesaveError}, also one created by another copy of this package. */
export function isCodesaveError(value: unknown): value is CodesaveError {
  return (
    value instanceof Error && value.name === 'CodesaveError' && typeof (value as { code?: unknown }).code === 'string'
  );
}
