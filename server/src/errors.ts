// The model server's errors, in one place: what a client sees before a stream starts (a status and
// {"error": message, "code": code}) and after it started (a line {"error", "error_type"[, "fatal"]}),
// as docs/model-server.md's "Errors" section says.
import createError from '@fastify/error';
import { EngineError, ErrorCodes } from '../../addon/lib/index.js';

// Before a stream starts: plain JSON responses. No stack traces are captured: these are client mistakes.
export const InvalidJson = createError<'ERR_INVALID_JSON', 400, [string]>(
  'ERR_INVALID_JSON', 'Invalid JSON: %s', 400, undefined, false);
export const MissingFields = createError<'ERR_MISSING_FIELDS', 400, [string]>(
  'ERR_MISSING_FIELDS', 'Missing required fields: %s', 400, undefined, false);
export const InvalidField = createError<'ERR_INVALID_FIELD', 400, [string, string]>(
  'ERR_INVALID_FIELD', 'Invalid field %s: %s', 400, undefined, false);
export const InvalidParams = createError<'ERR_INVALID_PARAMS', 400, [string]>(
  'ERR_INVALID_PARAMS', 'Invalid params: %s', 400, undefined, false);
export const UrlRequired = createError<'ERR_URL_REQUIRED', 400, [string]>(
  'ERR_URL_REQUIRED', '%s is required', 400, undefined, false);
export const Busy = createError<'ERR_BUSY', 503, []>('ERR_BUSY', 'busy', 503, undefined, false);
export const CudaBroken = createError<'ERR_CUDA_BROKEN', 503, []>(
  'ERR_CUDA_BROKEN', 'Worker CUDA is broken', 503, undefined, false);
export const NotFound = createError<'ERR_NOT_FOUND', 404, [string, string]>(
  'ERR_NOT_FOUND', 'Not found: %s %s', 404, undefined, false);
export const BadUrl = createError<'ERR_BAD_URL', 400, []>('ERR_BAD_URL', 'Bad request: malformed URL', 400, undefined, false);
export const UnderPressure = createError<'ERR_UNDER_PRESSURE', 503, [string]>(
  'ERR_UNDER_PRESSURE', 'Under pressure: %s', 503, undefined, false);

// After a stream started.
export const ModelLoadTimeout = createError<'ERR_LOAD_TIMEOUT', number, [number]>(
  'ERR_LOAD_TIMEOUT', 'Model build did not finish within %d s', 500, undefined, false);
export const OrchestratorUnreachable = createError<'ERR_ORCHESTRATOR', number, [string]>(
  'ERR_ORCHESTRATOR', '%s', 502, undefined, false);

/** The body of a non-stream error response. */
export function errorBody(err: { message: string; code?: string }): { error: string; code?: string } {
  return err.code ? { error: err.message, code: err.code } : { error: err.message };
}

/** A fatal device failure: the GPU is unusable, `cuda_broken` becomes true and stays true. */
export function isFatalDeviceError(err: unknown): boolean {
  return err instanceof EngineError && err.code === ErrorCodes.device;
}

export interface ErrorLine {
  error: string;
  error_type: string;
  code?: string;
  fatal?: true;
}

/** error_type of the lines for our own coded failures; the rest use the error's class name, like the reference. */
function lineType(err: Error, code: string): string {
  if (code === ErrorCodes.invalidParams || code === ErrorCodes.outOfMemory) return 'ParamsError';
  if (err instanceof ModelLoadTimeout) return 'TimeoutError';
  if (err instanceof OrchestratorUnreachable) return 'ConnectionError';
  return err.name === 'FastifyError' ? 'ValidationError' : err.name;
}

/** The stream line for an error after the stream started. */
export function errorLine(err: unknown): ErrorLine {
  if (!(err instanceof Error)) return { error: String(err), error_type: 'Error' };
  const code = (err as Error & { code?: unknown }).code;
  if (typeof code !== 'string') return { error: err.message, error_type: err.name };
  if (isFatalDeviceError(err)) return { error: err.message, error_type: 'NotEnoughGPUResources', code, fatal: true };
  return { error: err.message, error_type: lineType(err, code), code };
}
