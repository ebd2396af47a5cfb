// The EngineError a promise rejects with: for tests of the engine's failures.
import { EngineError } from '../lib/errors.js';

/** Fails the test (throws) when `p` resolves or rejects with something other than an EngineError. */
export async function rejection(p: Promise<unknown>): Promise<EngineError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof EngineError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}
