// POST /pyworker/update (docs/pyworker.md §7): with the master token (Bearer or raw), touch the force-update flag;
// the bootstrap script acts on it at its next run.
// Fixed knowingly: the token is always required. With an empty MASTER_TOKEN the PyWorker let any request through;
// here the route does not exist then (router.ts answers it like an unknown path), since a flag anyone can set
// is not an update mechanism. Tokens are compared in constant time.

import { createHash, timingSafeEqual } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { sendJson } from './http-util.js';

export async function pyworkerUpdate(
  masterToken: string,
  flagFile: string,
  req: IncomingMessage,
  res: ServerResponse,
  log: Logger,
): Promise<void> {
  const header = req.headers.authorization ?? '';
  const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : header;
  if (masterToken === '' || !sameToken(token, masterToken)) {
    sendJson(res, 401, { error: 'unauthorized' });
    return;
  }
  try {
    await writeFile(flagFile, '');
  } catch (err) {
    log.error({ err, file: flagFile }, 'failed to write the force-update flag');
    sendJson(res, 500, { error: `failed to write file: ${(err as Error).message}` });
    return;
  }
  log.info({ file: flagFile }, 'force-update flag written');
  sendJson(res, 200, { ok: true });
}

/** Equality that takes the same time whatever the first differing character (digests have equal lengths). */
function sameToken(a: string, b: string): boolean {
  const digest = (v: string): Buffer => createHash('sha256').update(v, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}
