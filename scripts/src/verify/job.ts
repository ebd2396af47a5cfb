// The job a results file claims to answer, for `llama-gpu-bench verify`: from a /generate body (--job FILE, as the
// demo writes beside its results) and flags, a flag winning over the file. Block hash and public key may be left
// to the results file itself; params and r_target may not: a wrong model would make every nonce look forged.
import { readFileSync } from 'node:fs';
import { parseParams, parseParamsArg, ParamsError, type ModelParams } from '../../../addon/lib/index.js';
import { UsageError } from '../args.js';

export interface VerifyJob {
  /** undefined: the results file's own (its lines must then agree with each other). */
  blockHash: string | undefined;
  publicKey: string | undefined;
  params: ModelParams;
  rTarget: number;
  startNonce: number;
}

export interface JobFlags {
  job?: string;
  'block-hash'?: string;
  'public-key'?: string;
  params?: string;
  'r-target'?: string;
  'start-nonce'?: string;
}

export function resolveJob(flags: JobFlags): VerifyJob {
  const file = flags.job === undefined ? {} : readJobFile(flags.job);
  const where = (flag: string) => (flags.job === undefined ? flag : `${flag} (or the job file's field)`);
  const from = flags.job === undefined ? '' : `--job ${flags.job}: `;

  const blockHash = flags['block-hash'] ?? stringField(file, 'block_hash', from);
  const publicKey = flags['public-key'] ?? stringField(file, 'public_key', from);

  let params: ModelParams;
  try {
    if (flags.params !== undefined) params = parseParamsArg(flags.params);
    else if (file.params !== undefined) params = parseParams(file.params);
    else throw new UsageError(`${where('--params')} is required: the model the results were computed with`);
  } catch (err) {
    if (err instanceof ParamsError) throw new UsageError(`${flags.params === undefined ? from : ''}params: ${err.message}`);
    throw err;
  }

  const rTarget = flags['r-target'] !== undefined ? Number(flags['r-target']) : file.r_target;
  if (rTarget === undefined) throw new UsageError(`${where('--r-target')} is required`);
  if (typeof rTarget !== 'number' || !(rTarget > 0) || !Number.isFinite(rTarget)) {
    throw new UsageError(`${flags['r-target'] !== undefined ? '--r-target' : `${from}r_target`}: must be a positive number`);
  }

  const start = flags['start-nonce'] !== undefined ? Number(flags['start-nonce']) : file.start_nonce ?? 0;
  if (typeof start !== 'number' || !Number.isSafeInteger(start) || start < 0) {
    throw new UsageError(`${flags['start-nonce'] !== undefined ? '--start-nonce' : `${from}start_nonce`}: ` +
      'must be a non-negative safe integer');
  }
  return { blockHash, publicKey, params, rTarget, startNonce: start };
}

/** A /generate body; the PyWorker {auth_data, payload} and Runpod {input} wrappers are removed, as the server does. */
function readJobFile(file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--job ${file}: ${(err as Error).message}`);
  }
  for (const key of ['payload', 'input']) {
    if (isObject(value) && isObject(value[key])) value = value[key];
  }
  if (!isObject(value)) throw new UsageError(`--job ${file}: not a JSON object`);
  return value;
}

function stringField(job: Record<string, unknown>, name: string, from: string): string | undefined {
  const value = job[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new UsageError(`${from}${name}: must be a non-empty string`);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
