/**
 * fast-check arbitraries derived from Joi schemas (`schema.describe()`: types, limits,
 * allowed values, patterns), mixed with hostile values: SQL injection, prototype keys,
 * extreme and non-integer numbers, unicode edge cases, nulls, wrong types and deep nesting.
 * Most generated values are close to valid so that requests get past validation and into
 * the services; the rest probe the edges.
 */
import fc from 'fast-check';

/** What Joi's describe() returns, as far as we read it. */
export interface Described {
  type: string;
  flags?: { presence?: string; only?: boolean; format?: string };
  allow?: unknown[];
  rules?: { name: string; args?: Record<string, unknown> }[];
  keys?: Record<string, Described>;
  items?: Described[];
  matches?: { schema?: Described; then?: Described; otherwise?: Described }[];
  patterns?: { schema?: Described; rule: Described }[];
}

export const SQL_INJECTION = [
  "' OR '1'='1", "1; DROP TABLE vouchers; --", '" OR 1=1 --', "' UNION SELECT password_hash FROM users --",
  "'; UPDATE pools SET available_fen = 1e12; --", "$1", "%' AND pg_sleep(5) --", "\\'; COMMIT; --", "1' OR '1'='1'::uuid --",
];

export const HOSTILE_STRINGS = [
  ...SQL_INJECTION,
  '\uD800', '\uDFFF', 'a\uD83Db', '\u202Eevil\u202C', '\u200B', '\uFEFF', '👩‍👩‍👧‍👦', '𠮷野家', 'Ａｂｃ', 'e\u0301', '\u2028\u2029',
  '\u0000', 'a\u0000b', '\u0001\u001f', '\\', '\\u0000', '%00', '../../etc/passwd', '<script>alert(1)</script>', '${7*7}', '{{7*7}}',
  '', ' ', '   \t\n', 'null', 'undefined', 'NaN', 'Infinity', '-1', '1e309', '0x10', '__proto__', 'constructor', 'prototype',
  'x'.repeat(5000), '中'.repeat(300),
];

export const HOSTILE_NUMBERS = [
  -1, 0, -0, 0.5, 1.5, 0.1 + 0.2, 1e-7, 2 ** 31, 2 ** 53, 2 ** 53 + 2, 2 ** 63, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER,
  1e308, -1e308, Number.MAX_VALUE, Number.MIN_VALUE, 1_000_000_000_001, -1_000_000_000_000,
];

function deep(depth: number): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

/** Values that are wrong in type, size or kind for almost any field. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.constantFrom(...HOSTILE_NUMBERS),
  fc.constantFrom(null, true, false, [], {}, [null], { $gt: '' }, { toString: 'x' }, deep(40), deep(8)),
  fc.constant(JSON.parse('{"__proto__": {"isAdmin": true}}') as unknown),
  fc.constant({ constructor: { prototype: { polluted: true } } }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.double(),
  fc.integer(),
  fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 4 }),
);

function rule(d: Described, name: string): Record<string, unknown> | undefined {
  return d.rules?.find((r) => r.name === name)?.args ?? (d.rules?.some((r) => r.name === name) ? {} : undefined);
}

function regexOf(text: string): RegExp {
  const m = /^\/(.*)\/([a-z]*)$/s.exec(text);
  return m ? new RegExp(m[1] as string, (m[2] as string).replace('g', '')) : new RegExp(text);
}

function stringArbitrary(d: Described): fc.Arbitrary<unknown> {
  const pattern = rule(d, 'pattern');
  if (pattern?.regex) return fc.stringMatching(regexOf(String(pattern.regex)));
  if (rule(d, 'guid')) return fc.uuid({ version: 4 });
  if (rule(d, 'isoDate')) return fc.date({ min: new Date('2020-01-01'), max: new Date('2035-01-01'), noInvalidDate: true }).map((x) => x.toISOString());
  if (rule(d, 'hostname')) return fc.domain();
  const min = Number(rule(d, 'min')?.limit ?? rule(d, 'length')?.limit ?? 0);
  const max = Math.min(Number(rule(d, 'max')?.limit ?? rule(d, 'length')?.limit ?? 40), 60);
  return fc.oneof(
    fc.string({ minLength: Math.min(min, max), maxLength: max }),
    fc.string({ unit: 'grapheme', minLength: Math.min(min, max), maxLength: max }),
  );
}

function numberArbitrary(d: Described): fc.Arbitrary<unknown> {
  const min = rule(d, 'min')?.limit;
  const max = rule(d, 'max')?.limit;
  const lo = typeof min === 'number' ? Math.max(min, Number.MIN_SAFE_INTEGER) : -1_000_000;
  const hi = typeof max === 'number' ? Math.min(max, Number.MAX_SAFE_INTEGER) : 1_000_000_000;
  if (rule(d, 'integer')) {
    return fc.oneof(fc.integer({ min: lo, max: Math.min(hi, lo + 2_000_000) }), fc.constantFrom(lo, hi), fc.integer({ min: lo, max: hi }));
  }
  return fc.double({ min: lo, max: hi, noNaN: true });
}

/** Near-valid values of one schema (no hostile mixing at this level). */
function typed(d: Described, hostileWeight: number): fc.Arbitrary<unknown> {
  if (d.flags?.only && d.allow && d.allow.length > 0) return fc.constantFrom(...d.allow.filter((v) => typeof v !== 'object'));
  switch (d.type) {
    case 'string': return d.allow?.length ? fc.oneof(stringArbitrary(d), fc.constantFrom(...d.allow)) : stringArbitrary(d);
    case 'number': return numberArbitrary(d);
    case 'boolean': return fc.boolean();
    case 'date': return fc.date({ min: new Date('2020-01-01'), max: new Date('2035-01-01'), noInvalidDate: true }).map((x) => x.toISOString());
    case 'array': {
      const item = d.items?.[0] ? arbitraryOf(d.items[0], hostileWeight) : hostileValue;
      const max = Math.min(Number(rule(d, 'max')?.limit ?? 5), 6);
      return fc.array(item, { maxLength: max });
    }
    case 'object': return objectArbitrary(d, hostileWeight);
    case 'alternatives': {
      const options = (d.matches ?? []).map((m) => m.schema ?? m.then ?? m.otherwise).filter((s): s is Described => Boolean(s));
      return options.length > 0 ? fc.oneof(...options.map((o) => arbitraryOf(o, hostileWeight))) : hostileValue;
    }
    default: return hostileValue;
  }
}

function objectArbitrary(d: Described, hostileWeight: number): fc.Arbitrary<unknown> {
  if (d.patterns?.length && !d.keys) {
    const p = d.patterns[0] as { schema?: Described; rule: Described };
    const key = p.schema ? (typed(p.schema, 0) as fc.Arbitrary<string>) : fc.string({ maxLength: 10 });
    return fc.dictionary(key.filter((k) => typeof k === 'string'), arbitraryOf(p.rule, hostileWeight), { maxKeys: 4 });
  }
  const keys = d.keys ?? {};
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, child] of Object.entries(keys)) model[name] = arbitraryOf(child, hostileWeight);
  const required = Object.entries(keys).filter(([, c]) => c.flags?.presence === 'required').map(([n]) => n);
  const record = fc.record(model, { requiredKeys: required });
  // Now and then: an unknown key, a prototype key, or a required key left out.
  return fc.oneof(
    { weight: 8, arbitrary: record },
    { weight: 1, arbitrary: fc.tuple(record, fc.constantFrom('surprise', '__proto__', 'constructor', 'toString', '$where'), hostileValue)
      .map(([r, k, v]) => ({ ...(r as object), [k]: v })) },
    { weight: 1, arbitrary: fc.record(model, { requiredKeys: [] }) },
  );
}

/**
 * Values for a schema: near-valid ones (weight 10 − hostileWeight) or hostile ones
 * (hostileWeight, 0–10) at every level of nesting.
 */
export function arbitraryOf(d: Described, hostileWeight = 2): fc.Arbitrary<unknown> {
  if (hostileWeight <= 0) return typed(d, 0);
  return fc.oneof({ weight: 10 - hostileWeight, arbitrary: typed(d, hostileWeight) }, { weight: hostileWeight, arbitrary: hostileValue });
}
