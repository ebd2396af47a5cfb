// Requests that never reach a route: Node's HTTP parser refuses them ('clientError': headers too large, a
// malformed request line, a request that took too long to arrive). Node's own answer is a bare status line; both
// services answer with their JSON error shape instead, {"error", "code"}, then close the connection.
import http from 'node:http';
import type { Duplex } from 'node:stream';

interface ClientErrorAnswer {
  status: number;
  error: string;
  code: string;
}

export function clientErrorAnswer(err: NodeJS.ErrnoException): ClientErrorAnswer {
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, error: 'Request header fields too large', code: 'ERR_HEADER_OVERFLOW' };
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, error: 'Request timeout', code: 'ERR_REQUEST_TIMEOUT' };
  return { status: 400, error: 'Bad request: the HTTP request could not be parsed', code: 'ERR_BAD_REQUEST' };
}

/** A 'clientError' listener for node:http and Fastify's clientErrorHandler. */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // A reset connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, error, code } = clientErrorAnswer(err);
  const body = JSON.stringify({ error, code });
  if (!socket.writable) return void socket.destroy();
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
