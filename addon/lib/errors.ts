// Errors of the engine, with stable codes. The codes are defined once, in the native core (core/error.h); the
// addon hands them over on load, and every error it reports arrives already as an EngineError (native.ts gives it
// the class), so nothing on the way up re-wraps them.
import { loadNative } from './native.js';
import type { NativeErrorCodes } from './native-types.js';

/** The engine's error codes: read from the addon the first time one is asked for. */
export const ErrorCodes: NativeErrorCodes = Object.freeze(Object.defineProperties({}, Object.fromEntries(
  (['invalidParams', 'invalidArgument', 'outOfMemory', 'noModel', 'device', 'noBackend', 'closed', 'internal'] as const)
    .map((name) => [name, { enumerable: true, get: () => loadNative().errorCodes[name] }]),
))) as NativeErrorCodes;

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
