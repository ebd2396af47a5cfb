// Errors of the engine, with stable codes (mirrors addon/src/core/error.h).
export const ErrorCodes = {
  invalidParams: 'ERR_INVALID_PARAMS',
  invalidArgument: 'ERR_INVALID_ARGUMENT',
  outOfMemory: 'ERR_OUT_OF_MEMORY',
  noModel: 'ERR_NO_MODEL',
  device: 'ERR_DEVICE',
  noBackend: 'ERR_NO_BACKEND',
  closed: 'ERR_CLOSED',
  cancelled: 'ERR_CANCELLED',
  internal: 'ERR_INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class EngineError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineError';
    this.code = code;
  }
}

/** A bad `params` object; the message is "<field>: <reason>". */
export class ParamsError extends EngineError {
  readonly field: string;
  constructor(field: string, reason: string) {
    super(ErrorCodes.invalidParams, `${field}: ${reason}`);
    this.name = 'ParamsError';
    this.field = field;
  }
}

/** Native rejections carry `.code`; wrap them so callers see one error class. */
export function toEngineError(err: unknown): EngineError {
  if (err instanceof EngineError) return err;
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code;
    return new EngineError(typeof code === 'string' ? code : ErrorCodes.internal, err.message, { cause: err });
  }
  return new EngineError(ErrorCodes.internal, String(err));
}
