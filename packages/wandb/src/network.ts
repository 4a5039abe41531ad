/**
 * Which connection failures are worth another attempt. A name that does not resolve, a port nobody
 * listens on (or one fetch refuses to use), and a TLS handshake that fails will fail the same way in
 * 2 s, 4 s … 60 s: retrying them only makes a command hang for minutes before saying what is wrong.
 */

/** The error codes (and undici messages) of a connection failure, outermost first. */
function codesOf(error: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>();
  const walk = (value: unknown, depth: number) => {
    if (!value || typeof value !== 'object' || seen.has(value) || depth > 5) return;
    seen.add(value);
    const { code, message, cause, errors } = value as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    if (typeof code === 'string') out.push(code);
    if (typeof message === 'string' && message === 'bad port') out.push('bad port');
    walk(cause, depth + 1);
    if (Array.isArray(errors)) for (const e of errors) walk(e, depth + 1);
  };
  walk(error, 0);
  return out;
}

const TLS = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|EPROTO$|HOSTNAME_MISMATCH|ERR_OSSL_)/;

/** Why a connection failure will not go away by itself, or undefined when it may. */
export function permanentReason(error: unknown): string | undefined {
  for (const code of codesOf(error)) {
    if (code === 'ENOTFOUND') return 'ENOTFOUND: the host name does not resolve';
    if (code === 'ECONNREFUSED') return 'ECONNREFUSED: nothing listens on that port';
    if (code === 'bad port') return 'fetch refuses this port ("bad port")';
    if (code === 'ERR_INVALID_URL' || code === 'ERR_INVALID_PROTOCOL') return `${code}: the URL is not usable`;
    if (TLS.test(code)) return `TLS error ${code}`;
  }
  return undefined;
}

/** A short description of a connection failure: its innermost code, else its message. */
export function networkErrorText(error: unknown): string {
  const codes = codesOf(error);
  if (codes.length > 0) return codes[codes.length - 1];
  const cause = (error as { cause?: { message?: string } })?.cause;
  if (cause?.message) return cause.message;
  return error instanceof Error ? error.message : 'connection failed';
}
