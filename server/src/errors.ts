// The model server's errors, in one place: what a client sees before a stream starts (a status and
// {"error": message, "code": code}) and after it started (a line {"error", "error_type"[, "fatal"]}),
// as docs/model-server.md's "Errors" section says.
import { EngineError, ErrorCodes } from '../../addon/lib/index.js';
import { codedError } from '../../common/src/errors.js';

// Before a stream starts: plain JSON responses with these statuses.
export const InvalidJson = codedError('ERR_INVALID_JSON', 'InvalidJson', (detail: string) => `Invalid JSON: ${detail}`, 400);
export const MissingFields = codedError('ERR_MISSING_FIELDS', 'MissingFields',
  (list: string) => `Missing required fields: ${list}`, 400);
export const InvalidField = codedError('ERR_INVALID_FIELD', 'InvalidField',
  (field: string, reason: string) => `Invalid field ${field}: ${reason}`, 400);
export const InvalidParams = codedError('ERR_INVALID_PARAMS', 'InvalidParams', (reason: string) => `Invalid params: ${reason}`, 400);
export const UrlRequired = codedError('ERR_URL_REQUIRED', 'UrlRequired', (field: string) => `${field} is required`, 400);
export const Busy = codedError('ERR_BUSY', 'Busy', () => 'busy', 503);
export const CudaBroken = codedError('ERR_CUDA_BROKEN', 'CudaBroken', () => 'Worker CUDA is broken', 503);
export const NotFound = codedError('ERR_NOT_FOUND', 'NotFound', (method: string, url: string) => `Not found: ${method} ${url}`, 404);
export const BadUrl = codedError('ERR_BAD_URL', 'BadUrl', () => 'Bad request: malformed URL', 400);
/** A validation whose client left: it stopped after its batches in flight, and nobody reads this answer. */
export const ClientClosed = codedError('ERR_CLIENT_CLOSED', 'ClientClosed', () => 'the client closed the request', 499);
export const UnderPressure = codedError('ERR_UNDER_PRESSURE', 'UnderPressure', (what: string) => `Under pressure: ${what}`, 503);

// After a stream started.
export const ModelLoadTimeout = codedError('ERR_LOAD_TIMEOUT', 'TimeoutError',
  (seconds: number) => `Model build did not finish within ${seconds} s`, 500);
export const OrchestratorUnreachable = codedError('ERR_ORCHESTRATOR', 'ConnectionError', (message: string) => message, 502);

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
function lineType(err: Error & { statusCode?: number }, code: string): string {
  if (code === ErrorCodes.invalidParams || code === ErrorCodes.outOfMemory) return 'ParamsError';
  // A body the controller sent that does not validate (fields, JSON).
  if (err.statusCode === 400) return 'ValidationError';
  return err.name;
}

/** The stream line for an error after the stream started. */
export function errorLine(err: unknown): ErrorLine {
  if (!(err instanceof Error)) return { error: String(err), error_type: 'Error' };
  const code = (err as Error & { code?: unknown }).code;
  if (typeof code !== 'string') return { error: err.message, error_type: err.name };
  if (isFatalDeviceError(err)) return { error: err.message, error_type: 'NotEnoughGPUResources', code, fatal: true };
  return { error: err.message, error_type: lineType(err, code), code };
}
