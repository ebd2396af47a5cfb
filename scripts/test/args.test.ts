// Command-line parsing: nonce lists keep order and duplicates; bad input is a usage error, never a crash.
import t from 'tap';
import { parseNonces, parseNumber, UsageError } from '../src/args.js';

t.test('nonce lists keep order and duplicates, ranges are inclusive', async (t) => {
  t.same(parseNonces('5,0-3,5'), [5, 0, 1, 2, 3, 5]);
  t.same(parseNonces('9007199254740991'), [9007199254740991]);
});

t.test('bad nonce lists are usage errors naming the problem', async (t) => {
  for (const [text, re] of [['-1', /not a non-negative integer/], ['1.5', /not a non-negative/], ['5-2', /descending/],
    ['9007199254740993', /not a safe integer/], ['', /not a non-negative/], ['0-2000000', /longer than/]] as const) {
    t.throws(() => parseNonces(text), new UsageError(''), text);
    t.throws(() => parseNonces(text), { message: re }, text);
  }
});

t.test('numbers are checked', async (t) => {
  t.equal(parseNumber(undefined, '--x', 7), 7);
  t.equal(parseNumber('2.5', '--x', 0), 2.5);
  t.throws(() => parseNumber('abc', '--x', 0), /--x: "abc" is not a number/);
  t.throws(() => parseNumber('1.5', '--x', 0, { integer: true }), /--x: must be an integer/);
  t.throws(() => parseNumber('-1', '--x', 0, { min: 0 }), /--x: must be at least 0/);
});
