// What the orchestrator answers (connect, config polls, ready): nothing, a config, or a command
// {"type": "config"|"compute"|"switch_job"|"shutdown", ...}. Config fields of the wrong type are ignored (and
// named, for the log) rather than trusted.

export interface PooledConfig {
  block_hash?: string;
  block_height?: number;
  r_target?: number;
  params?: object;
  public_key?: string;
  nonce_range_start?: number;
  /** Inclusive. */
  nonce_range_end?: number;
}

export type CommandType = 'config' | 'compute' | 'switch_job' | 'shutdown';

export interface OrchestratorMessage {
  /** undefined: a bare config, {"status": "wait"}, or nothing. */
  type: CommandType | undefined;
  config: PooledConfig;
  /** Fields present with an unusable value. */
  ignored: string[];
}

const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
const CHECKS: Record<keyof PooledConfig, (v: unknown) => boolean> = {
  block_hash: (v) => typeof v === 'string' && v.length > 0,
  block_height: isCount,
  r_target: (v) => typeof v === 'number' && Number.isFinite(v) && v > 0,
  params: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  public_key: (v) => typeof v === 'string' && v.length > 0,
  nonce_range_start: isCount,
  nonce_range_end: isCount,
};
const TYPES: readonly string[] = ['config', 'compute', 'switch_job', 'shutdown'];

export function readMessage(value: unknown): OrchestratorMessage {
  const message: OrchestratorMessage = { type: undefined, config: {}, ignored: [] };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return message;
  const src = value as Record<string, unknown>;
  if (typeof src.type === 'string' && TYPES.includes(src.type)) message.type = src.type as CommandType;
  else if (src.type !== undefined) message.ignored.push('type');
  for (const key of Object.keys(CHECKS) as (keyof PooledConfig)[]) {
    const v = src[key];
    if (v === undefined || v === null) continue;
    if (CHECKS[key](v)) (message.config as Record<string, unknown>)[key] = v;
    else message.ignored.push(key);
  }
  return message;
}
