// The model a job needs, built or reused, with one rule for what can go wrong. What is the job's own fault — params
// the engine refuses, a shape the devices or the host cannot hold — is "Invalid params: <field>: <reason>": a 400
// when no stream has started yet (/generate), an error line when one has (/warmup, /pooled). A fatal device failure
// is always a stream line, as the spec reports GPU init failures on the stream.
import { EngineError, ErrorCodes, parseParams, ParamsError, type ModelParams } from '../../../addon/lib/index.js';
import type { ServerContext } from '../context.js';
import { InvalidParams, isFatalDeviceError } from '../errors.js';

/** A job's params, validated by the engine's rules; InvalidParams otherwise. */
export function toModelParams(value: unknown): ModelParams {
  try {
    return parseParams(value);
  } catch (err) {
    if (err instanceof ParamsError) throw new InvalidParams(err.message);
    throw err;
  }
}

/** Builds (or reuses) the model on every device; the load time in seconds (0 when reused). A failure that is the
 *  job's fault is thrown as InvalidParams, anything else as it came. */
export async function loadModel(ctx: ServerContext, blockHash: string, params: ModelParams): Promise<number> {
  try {
    const { reused, seconds } = await ctx.engine.load(blockHash, params);
    ctx.log.info({ blockHash: blockHash.slice(0, 16), reused, seconds, devices: ctx.engine.devices.length }, 'model ready');
    return seconds;
  } catch (err) {
    if (err instanceof EngineError && (err.code === ErrorCodes.invalidParams || err.code === ErrorCodes.outOfMemory)) {
      throw new InvalidParams(err.message);
    }
    throw err;
  }
}

/** loadModel before a stream starts: a fatal device failure is returned, to become the stream's line; any other
 *  failure is thrown, to be the answer (400 for InvalidParams). */
export async function loadBeforeStream(ctx: ServerContext, blockHash: string, params: ModelParams): Promise<Error | undefined> {
  try {
    await loadModel(ctx, blockHash, params);
    return undefined;
  } catch (err) {
    if (isFatalDeviceError(err)) return err as Error;
    throw err;
  }
}
