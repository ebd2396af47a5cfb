// TypeBox schemas of the request bodies, checked after the PyWorker/Runpod wrappers are removed (body.ts).
import { Type, type Static } from '@sinclair/typebox';

/** Nonces and heights: non-negative safe integers (larger ones lose precision as JSON numbers in JS). */
const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
/** Seeds (block hash, public key): any non-empty string of sane length (the chain's are 64 and 66 chars). */
const Seed = Type.String({ minLength: 1, maxLength: 1024 });
const Url = Type.String({ maxLength: 2048 });

export const GenerateBody = Type.Object({
  block_hash: Seed,
  block_height: Count,
  public_key: Seed,
  r_target: Type.Number({ exclusiveMinimum: 0 }),
  /** The client's hint; like the reference we pick each device's batch ourselves. */
  batch_size: Count,
  start_nonce: Count,
  /** Validated by the engine's parseParams ("Invalid params: <field>: <reason>"). */
  params: Type.Object({}),
});
export type GenerateBody = Static<typeof GenerateBody>;

export const WarmupBody = Type.Object({
  callback_url: Url,
  job_id: Type.Optional(Type.String({ maxLength: 1024 })),
});
export type WarmupBody = Static<typeof WarmupBody>;

export const PooledBody = Type.Object({
  orchestrator_url: Url,
});
export type PooledBody = Static<typeof PooledBody>;

/** The chain's cap on the nonces of one batch: a validation recomputes at most this many at once. */
export const MAX_VALIDATE_NONCES = 10_000;

export const ValidateBody = Type.Object({
  block_hash: Seed,
  public_key: Seed,
  /** Validated by the engine's parseParams, as for /generate. */
  params: Type.Object({}),
  nonces: Type.Array(Count, { minItems: 1, maxItems: MAX_VALIDATE_NONCES }),
  /** The reported distances, one per nonce: asks for the verdict (with r_target). */
  dist: Type.Optional(Type.Array(Type.Number(), { maxItems: MAX_VALIDATE_NONCES })),
  r_target: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
});
export type ValidateBody = Static<typeof ValidateBody>;
