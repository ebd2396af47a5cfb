// Strings a client chose (auth_data fields, a session's on_close_route) and lines of the model log (which echo
// what clients sent) reach the worker's log only through clientField: bounded in length, and anything but a plain
// number or string written as JSON text. A 16 MiB reqnum then costs one short field, not a 16 MiB line per
// message of its request, and the logger's defusing (common/src/log.ts) does the rest.

/** Characters of a client value kept in a log field. */
export const MAX_CLIENT_FIELD = 200;

export function clientField(value: unknown, max = MAX_CLIENT_FIELD): string | number | boolean | null {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  let text: string;
  if (typeof value === 'string') text = value;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = `[${typeof value}]`;
    }
  }
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}
