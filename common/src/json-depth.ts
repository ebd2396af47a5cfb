// JSON.parse accepts any nesting, but the recursive code that later walks a value (JSON.stringify when a body is
// forwarded, comparisons, validators) overflows the stack on a deeply nested one. Bodies are checked once, right
// after parsing, without recursion.

/** Nesting allowed in a request body: far above any real job or envelope (they nest 3 or 4 levels). */
export const MAX_JSON_DEPTH = 64;

/** Whether `value` nests objects or arrays more than `max` levels deep (iterative, so safe for any input). */
export function nestedDeeperThan(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}
