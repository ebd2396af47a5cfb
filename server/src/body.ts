// Request bodies: JSON parsing, the PyWorker {auth_data, payload} and Runpod {input} wrappers, then TypeBox
// validation with the spec's messages ("Missing required fields: [...]", "Invalid field <name>: <reason>").
import type { Static, TObject } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../../common/src/json-depth.js';
import { InvalidField, InvalidJson, MissingFields, UrlRequired } from './errors.js';
import { GenerateBody, PooledBody, ValidateBody, WarmupBody } from './schemas.js';

export type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a raw body (the app's content-type parser keeps it as text) and removes a wrapper. */
export function parseBody(raw: unknown): JsonObject {
  if (typeof raw !== 'string' || raw.trim() === '') throw new InvalidJson('empty body');
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw new InvalidJson((err as Error).message);
  }
  if (nestedDeeperThan(value)) throw new InvalidJson(`nested deeper than ${MAX_JSON_DEPTH} levels`);
  return unwrap(value);
}

/** {auth_data, payload} (PyWorker) → payload; {input} (Runpod) → input; anything else is the body itself. */
export function unwrap(value: unknown): JsonObject {
  if (!isObject(value)) throw new InvalidJson('the body must be a JSON object');
  for (const key of ['payload', 'input']) {
    if (key in value) {
      const inner = value[key];
      if (!isObject(inner)) throw new InvalidField(key, 'must be a JSON object');
      return inner;
    }
  }
  return value;
}

/** A compiled TypeBox schema that reports the first problem the way the spec words it. */
export class BodyValidator<T extends TObject> {
  private readonly check: TypeCheck<T>;

  constructor(private readonly schema: T) {
    this.check = TypeCompiler.Compile(schema);
  }

  validate(body: JsonObject): Static<T> {
    const missing = (this.schema.required ?? []).filter((key) => !(key in body));
    if (missing.length > 0) throw new MissingFields(`[${missing.map((k) => JSON.stringify(k)).join(', ')}]`);
    const first = this.check.Errors(body).First();
    if (first) throw new InvalidField(first.path.split('/')[1] || 'body', first.message);
    return body as Static<T>;
  }
}

/** A required callback/orchestrator URL: absolute http(s), returned without a trailing slash. */
export function requireUrl(body: JsonObject, name: string): string {
  const value = body[name];
  if (value === undefined || value === null || value === '') throw new UrlRequired(name);
  if (typeof value !== 'string') throw new InvalidField(name, 'Expected string');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidField(name, `not an absolute URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidField(name, `only http and https URLs are supported, not ${url.protocol}`);
  }
  if (url.search || url.hash) throw new InvalidField(name, 'a base URL takes no query or fragment');
  return value.replace(/\/+$/, '');
}

export const validators = {
  generate: new BodyValidator(GenerateBody),
  warmup: new BodyValidator(WarmupBody),
  pooled: new BodyValidator(PooledBody),
  validate: new BodyValidator(ValidateBody),
};
