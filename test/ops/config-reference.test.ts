/**
 * docs/OPERATIONS.md carries a configuration reference generated from the config schema
 * (`npm run config:reference`). When a variable is added or described differently, this test
 * fails until the document is regenerated.
 */
import { readFileSync } from 'node:fs';
import { envSchema } from '../../server/src/config/config';
import { BEGIN_MARKER, END_MARKER, OPERATIONS_DOC, renderConfigReference, withReference } from '../../scripts/config-reference';

describe('configuration reference in docs/OPERATIONS.md', () => {
  test('when the document is compared with the schema, then it is up to date (else run npm run config:reference)', () => {
    const doc = readFileSync(OPERATIONS_DOC, 'utf8');
    expect(withReference(doc)).toBe(doc);
  });

  test('when the reference is rendered, then every variable of the schema has a row with its description', () => {
    const table = renderConfigReference();
    const keys = Object.keys((envSchema.describe() as { keys: Record<string, unknown> }).keys);
    expect(keys.length).toBeGreaterThan(20);
    for (const key of keys) expect(table).toMatch(new RegExp(`^\\| \`${key}\` \\|`, 'm'));
    expect(table).toContain('| `WORKERS` | integer 1–64 | `1` |');
    expect(table).toContain('| `PORT` | port | `3000` | HTTP port |');
    expect(table.startsWith(BEGIN_MARKER) && table.endsWith(END_MARKER)).toBe(true);
  });

  test('when the markers are missing, then regeneration refuses rather than guessing where to write', () => {
    expect(() => withReference('# Operations\n')).toThrow(/markers/);
  });
});
