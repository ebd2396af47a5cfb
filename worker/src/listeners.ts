// The worker's two listeners (the main one, HTTPS with USE_SSL=true, and the plain-HTTP one for /session/end),
// binding and closing them. A request that Node's parser refuses before it reaches a route (headers too large,
// a malformed request, one that took too long to arrive) is answered with our JSON error shape, {"error", "code"}
// (431, 400 or 408), instead of Node's bare status line.

import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { answerClientError } from '../../common/src/client-error.js';
import type { WorkerConfig } from './config.js';
import type { RequestListener } from './router.js';

export async function mainServer(config: WorkerConfig, listener: RequestListener): Promise<Server> {
  if (!config.useSsl) return plainServer(listener);
  const [cert, key] = await Promise.all([readFile(config.sslCertFile), readFile(config.sslKeyFile)]);
  const server = createHttpsServer({ cert, key }, listener);
  server.on('clientError', answerClientError);
  return server;
}

/** A plain-HTTP server (the main one without USE_SSL, and the second one). */
export function plainServer(listener: RequestListener): Server {
  const server = createHttpServer(listener);
  server.on('clientError', answerClientError);
  return server;
}

export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Stops listening and drops every connection (in-flight requests are cancelled). */
export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}
