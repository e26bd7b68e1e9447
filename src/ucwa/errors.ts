// Typed errors of the UCWA client. Messages carry enough context to act on (method, path, status, UCWA code and
// subcode) and never a token, password or Authorization header.
import type { UcwaReason } from './resource';

export class UcwaError extends Error {
  override readonly name: string = 'UcwaError';
}

/** A non-2xx answer from the pool (or from a proxy in front of it). */
export class UcwaHttpError extends UcwaError {
  override readonly name = 'UcwaHttpError';

  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly reason: UcwaReason | undefined,
    /** Seconds from a Retry-After header, when the server sent one. */
    readonly retryAfterSeconds: number | undefined,
  ) {
    super(`${method} ${path} answered ${status}${reason ? ` ${reason.code}${reason.subcode ? `/${reason.subcode}` : ''}` : ''}`);
  }

  get subcode(): string | undefined {
    return this.reason?.subcode;
  }
}

/** No answer: connection refused or reset, timeout, body cut short or too large. */
export class UcwaNetworkError extends UcwaError {
  override readonly name = 'UcwaNetworkError';

  constructor(
    readonly method: string,
    readonly path: string,
    readonly code: string,
    detail: string,
  ) {
    super(`${method} ${path} failed: ${code} (${detail})`);
  }
}

/** Sign-in failed: bad credentials, no usable grant, or a token the pool keeps refusing. */
export class UcwaAuthError extends UcwaError {
  override readonly name = 'UcwaAuthError';

  constructor(
    message: string,
    /** The OAuth error code (`invalid_grant`, ...) when the token service sent one. */
    readonly oauthError?: string,
  ) {
    super(message);
  }
}

/** An href that would take a request (and a token) outside the hosts the discovery chain established. */
export class UcwaOriginError extends UcwaError {
  override readonly name = 'UcwaOriginError';
}

/** The application is gone (404 ApplicationNotFound, 410 ...): it must be created again. */
export class ApplicationGoneError extends UcwaError {
  override readonly name = 'ApplicationGoneError';

  constructor(override readonly cause: UcwaHttpError) {
    super(`the UCWA application is gone (${cause.status}${cause.subcode ? ` ${cause.subcode}` : ''})`);
  }
}

/** The pool told us to discover again (403 that is not about the token, 502): cached URLs are stale. */
export class RediscoveryNeededError extends UcwaError {
  override readonly name = 'RediscoveryNeededError';

  constructor(override readonly cause: UcwaError) {
    super(`discovery must be repeated: ${cause.message}`);
  }
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as { code?: string }).code === 'ABORT_ERR');
}
