// How much memory this process's host may hold: the container's cgroup limit when one is set, else the machine's
// memory, less a reserve. The guard in engine.ts refuses a job whose estimate (memory.ts) is above it.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { EngineError, ErrorCodes } from './errors.js';

/** Kept back from the limit: the server process itself (`serve` idles at about 80 MiB resident: Node, Fastify, the
 *  addon), the worker, another Node process, that runs next to it in the same container, the kernel and page cache
 *  outside a container, and the allocator's slack around the estimate (freed blocks it keeps; the estimate is a
 *  measured peak within a few percent). */
export const HOST_MEMORY_RESERVE = 2 ** 30;

export interface HostLimitPaths {
  /** cgroup v2: a byte count, or "max" for none. */
  v2: string;
  /** cgroup v1: a byte count; "no limit" reads as a huge number (about 2^63). */
  v1: string;
}

export const CGROUP_PATHS: Readonly<HostLimitPaths> = Object.freeze({
  v2: '/sys/fs/cgroup/memory.max',
  v1: '/sys/fs/cgroup/memory/memory.limit_in_bytes',
});

export interface HostLimit {
  /** Bytes the host may hold in all: the cgroup limit when below the machine's memory, else the machine's. */
  bytes: number;
  /** Where it came from: the cgroup file read, or "total memory". */
  source: string;
  /** bytes less HOST_MEMORY_RESERVE (never negative): what a job may take. */
  available: number;
}

/** The host's memory limit, read now (a container's limit can change). A limit at or above the machine's memory,
 *  "max", or an unreadable file means no cgroup limit. */
export function hostMemoryLimit(paths: HostLimitPaths = CGROUP_PATHS, totalBytes = os.totalmem()): HostLimit {
  let bytes = totalBytes, source = 'total memory';
  for (const file of [paths.v2, paths.v1]) {
    const limit = readLimit(file);
    if (limit !== undefined && limit < bytes) {
      bytes = limit;
      source = file;
      break;
    }
  }
  return { bytes, source, available: Math.max(0, bytes - HOST_MEMORY_RESERVE) };
}

function readLimit(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
  if (!/^\d+$/.test(text)) return undefined; // "max", or anything we do not understand: no limit
  return Number(text);
}

/** Throws ERR_OUT_OF_MEMORY (a 400 "Invalid params" from the model server) when `need` bytes are above what the host
 *  may hold. `what` names the need in the message ("the model", ...). */
export function checkHostMemory(need: number, what: string, limit: HostLimit = hostMemoryLimit()): void {
  if (need <= limit.available) return;
  const gib = (n: number) => (n / 2 ** 30).toFixed(1);
  throw new EngineError(ErrorCodes.outOfMemory, `params too large for this machine: ${what} needs ${gib(need)} GiB of ` +
    `host memory, ${gib(limit.available)} GiB available (${gib(limit.bytes)} GiB from ${limit.source}, less ` +
    `${gib(HOST_MEMORY_RESERVE)} GiB kept for the server and the system)`);
}
