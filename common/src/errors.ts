// One way to declare an error with a stable code, for every service and common/: `codedError(code, name, message)`
// makes the class. `code` is what callers and clients match; `name` is what logs show; a `statusCode` makes it an
// HTTP answer when a route throws it (Fastify reads it). The engine's EngineError is the one other kind: the addon
// constructs it, with the native core's codes.

export class CodedError extends Error {
  readonly code: string;
  readonly statusCode?: number;

  constructor(code: string, message: string, options?: { cause?: unknown; statusCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options?.statusCode !== undefined) this.statusCode = options.statusCode;
  }
}

export interface CodedErrorClass<A extends unknown[]> {
  new (...args: A): CodedError;
  readonly code: string;
}

/** A class of errors with `code`, the class `name`, a message made from the constructor's arguments, and an
 *  optional HTTP status. */
export function codedError<A extends unknown[]>(code: string, name: string, message: (...args: A) => string,
  statusCode?: number): CodedErrorClass<A> {
  const cls = class extends CodedError {
    static readonly code = code;
    constructor(...args: A) {
      super(code, message(...args), { statusCode });
      this.name = name;
    }
  };
  Object.defineProperty(cls, 'name', { value: name });
  return cls;
}
