import { defineScript, oneOf } from '../redis/lua-script.ts';

/*
 * Imported (with --import) into a server process by lua-scripts.test.ts: a script Redis cannot compile,
 * declared like any feature's, to show that it stops the start.
 */
defineScript({
  name: 'brokenOnPurpose',
  keys: ['visitor'],
  args: [],
  lua: (k) => `if redis.call('EXISTS', ${k.visitor}) == 1 then return 'ok'`,
  parse: oneOf('ok'),
});
