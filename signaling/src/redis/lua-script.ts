import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/*
 * One Lua script, declared once beside the store that runs it. Its keys and arguments have names; callers
 * pass them by name and this file puts them in the positional order Redis wants, so a caller cannot swap
 * two of them or forget one unnoticed. The Lua body is written against the same names: `lua` is given,
 * for each name, the Lua expression that reads it (`KEYS[2]`, `ARGV[5]`), so a body that uses a name the
 * declaration lacks does not type-check. What the script answers goes through `parse`, so callers get a
 * typed value and an answer nobody expected is an error naming the script rather than a silent mismatch.
 *
 * Names: `'visitor'` is required, `'consultation?'` optional (only at the end, and those given must come
 * first: positions cannot have holes), `'...visitors'` a list of any length (last of all). For a list,
 * the body is given the position of its first element (a number, for `for i = ${keys.visitors}, #KEYS`).
 *
 * Scripts run with EVALSHA (auto-pipelined like any command; sent again as EVAL when a Redis restart forgot
 * them), on any connection: nothing has to be defined on it first. loadScripts() loads every declared script once at
 * start, so a script Redis cannot compile stops the start with its name, not the first visitor's request.
 */

export type ScriptValue = string | number;

type Required<N> = N extends `${string}?` | `...${string}` ? never : N;
type Optional<N> = N extends `${infer O}?` ? O : never;
type Rest<N> = N extends `...${infer R}` ? R : never;
type Flat<T> = { [K in keyof T]: T[K] };

/** What a caller gives for the names `N`. */
export type Given<N extends readonly string[], V> = Flat<
  { [K in Required<N[number]>]: V } & { [K in Optional<N[number]>]?: V | undefined } & { [K in Rest<N[number]>]: readonly V[] }
>;
/** What the Lua body is given for the names `N`: the expression reading each, or a list's first position. */
export type InLua<N extends readonly string[]> = Flat<{ [K in Required<N[number]> | Optional<N[number]>]: string } & { [K in Rest<N[number]>]: number }>;

export type ScriptInput<K extends readonly string[], A extends readonly string[]> = (K extends readonly [] ? { keys?: Record<string, never> } : { keys: Given<K, string> }) &
  (A extends readonly [] ? { args?: Record<string, never> } : { args: Given<A, ScriptValue> });

/** What loading a script needs: its name (for the error) and its text. */
export interface ScriptSource {
  readonly name: string;
  readonly lua: string;
}

export interface LuaScript<K extends readonly string[], A extends readonly string[], R> extends ScriptSource {
  run(redis: Redis, input: ScriptInput<K, A>): Promise<R>;
}

export interface ScriptDeclaration<K extends readonly string[], A extends readonly string[], R> {
  /** Unique among all scripts (it names the command on each connection and in errors). */
  name: string;
  keys: K;
  args: A;
  lua: (keys: InLua<K>, args: InLua<A>) => string;
  /** From Redis' raw reply to the typed result; throws (see unexpectedReply) on anything else. */
  parse: (reply: unknown) => R;
}

const declared = new Map<string, ScriptSource>();

/** Every script declared so far in this process (each feature's script module declares its own on import). */
export function declaredScripts(): ScriptSource[] {
  return [...declared.values()];
}

interface Slot {
  name: string;
  kind: 'required' | 'optional' | 'rest';
}

function slotsOf(script: string, what: 'keys' | 'args', names: readonly string[]): Slot[] {
  const slots = names.map((n): Slot => (n.startsWith('...') ? { name: n.slice(3), kind: 'rest' } : n.endsWith('?') ? { name: n.slice(0, -1), kind: 'optional' } : { name: n, kind: 'required' }));
  slots.forEach((slot, i) => {
    const next = slots[i + 1];
    if (slot.kind === 'rest' && next) throw new Error(`script ${script}: the list ${what}.${slot.name} must come last`);
    if (slot.kind === 'optional' && next?.kind === 'required') throw new Error(`script ${script}: optional ${what}.${slot.name} must come after the required ones`);
  });
  if (slots.some((s) => s.kind === 'rest') && slots.some((s) => s.kind === 'optional')) throw new Error(`script ${script}: ${what} cannot have both optional names and a list`);
  if (new Set(slots.map((s) => s.name)).size !== slots.length) throw new Error(`script ${script}: a name repeats in ${what}`);
  return slots;
}

function inLua(slots: Slot[], array: 'KEYS' | 'ARGV'): Record<string, string | number> {
  return Object.fromEntries(slots.map((slot, i) => [slot.name, slot.kind === 'rest' ? i + 1 : `${array}[${i + 1}]`]));
}

function positional<V>(script: string, what: 'keys' | 'args', slots: Slot[], given: Record<string, V | readonly V[] | undefined> | undefined): V[] {
  const out: V[] = [];
  let ended: string | null = null;
  for (const slot of slots) {
    const value = given?.[slot.name];
    if (slot.kind === 'rest') {
      if (!Array.isArray(value)) throw new Error(`script ${script}: ${what}.${slot.name} must be a list`);
      out.push(...(value as V[]));
    } else if (value === undefined) {
      if (slot.kind === 'required') throw new Error(`script ${script}: ${what}.${slot.name} is missing`);
      ended ??= slot.name;
    } else {
      if (ended) throw new Error(`script ${script}: ${what}.${slot.name} given without ${what}.${ended} before it`);
      out.push(value as V);
    }
  }
  return out;
}

export function defineScript<const K extends readonly string[], const A extends readonly string[], R>(declaration: ScriptDeclaration<K, A, R>): LuaScript<K, A, R> {
  const { name, parse } = declaration;
  if (!/^[a-z][A-Za-z0-9]*$/.test(name)) throw new Error(`script name ${name} is not a plain identifier`);
  if (declared.has(name)) throw new Error(`script ${name} is declared twice`);
  const keySlots = slotsOf(name, 'keys', declaration.keys);
  const argSlots = slotsOf(name, 'args', declaration.args);
  const lua = declaration.lua(inLua(keySlots, 'KEYS') as InLua<K>, inLua(argSlots, 'ARGV') as InLua<A>);
  const sha = createHash('sha1').update(lua).digest('hex');
  const script: LuaScript<K, A, R> = {
    name,
    lua,
    async run(redis, input) {
      const keys = positional<string>(name, 'keys', keySlots, (input as { keys?: Record<string, string | readonly string[]> }).keys);
      const args = positional<ScriptValue>(name, 'args', argSlots, (input as { args?: Record<string, ScriptValue | readonly ScriptValue[]> }).args);
      let reply: unknown;
      try {
        reply = await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (error) {
        // Loaded at start; a Redis restarted (or failed over) since has forgotten it: EVAL loads it again.
        if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
        reply = await redis.eval(lua, keys.length, ...keys, ...args);
      }
      return parse(reply);
    },
  };
  declared.set(name, script);
  return script;
}

/** The error for a reply a parser did not expect (its content is not logged: it may be about a visitor). */
export function unexpectedReply(reply: unknown): Error {
  return new Error(`unexpected script reply (${Array.isArray(reply) ? 'array' : typeof reply})`);
}

/** A parser for scripts that answer one of a fixed set of codes. */
export function oneOf<const C extends string>(...codes: C[]): (reply: unknown) => C {
  const set = new Set<string>(codes);
  return (reply) => {
    if (typeof reply === 'string' && set.has(reply)) return reply as C;
    throw unexpectedReply(reply);
  };
}

export function integer(reply: unknown): number {
  if (typeof reply === 'number' && Number.isInteger(reply)) return reply;
  throw unexpectedReply(reply);
}

/** A string reply, e.g. an id the script made. */
export function text(reply: unknown): string {
  if (typeof reply === 'string') return reply;
  throw unexpectedReply(reply);
}

/** An array of strings (ids). */
export function strings(reply: unknown): string[] {
  if (Array.isArray(reply) && reply.every((v) => typeof v === 'string')) return reply as string[];
  throw unexpectedReply(reply);
}

/**
 * Loads every declared script into Redis (SCRIPT LOAD), so one Redis cannot compile stops the start with
 * its name. Runs before the server listens.
 */
export async function loadScripts(redis: Redis, scripts: readonly ScriptSource[] = declaredScripts()): Promise<void> {
  await Promise.all(
    scripts.map(async (script) => {
      try {
        await redis.script('LOAD', script.lua);
      } catch (error) {
        throw new Error(`the Redis script ${script.name} does not load: ${(error as Error).message}`);
      }
    }),
  );
}
