/**
 * The hot path's sources must not build an object by spreading an existing object and then
 * adding members (`{ ...row, key: v }`, `{ ...a, ...b }`). On Node 20 (V8 11.3) such a
 * literal leaves the fast clone path and costs about 1 µs plus 2-3 µs per added member: one
 * of them in the voucher view cost ~25 µs, a quarter of a batched claim's CPU
 * (docs/BENCHMARKS.md, Seventh session). Spreads of a fresh literal (`...(c ? { k } : {})`)
 * and spreads placed after every other member are fast and allowed; so is `{ ...row }` alone.
 * This is a static check of the source, not a timing.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '../..');

/** Files every claim, redemption or lottery entry runs through, request by request. */
const HOT_FILES = [
  'server/src/app/hot-path.ts',
  'server/src/app/route.ts',
  'server/src/app/idempotency.ts',
  'server/src/app/validate.ts',
  'server/src/app/problem.ts',
  'server/src/platform/batching.ts',
  'server/src/capabilities/vouchers/claim-batcher.ts',
  'server/src/capabilities/vouchers/vouchers.service.ts',
  'server/src/capabilities/redemptions/redemption-batcher.ts',
  'server/src/capabilities/redemptions/redemption-answers.ts',
  'server/src/capabilities/lottery/entry-batcher.ts',
];

/** A spread is cheap when its argument is a fresh object literal, or a conditional choosing between such literals. */
function isFreshLiteral(e: ts.Expression): boolean {
  if (ts.isParenthesizedExpression(e)) return isFreshLiteral(e.expression);
  if (ts.isObjectLiteralExpression(e)) return true;
  if (ts.isConditionalExpression(e)) return isFreshLiteral(e.whenTrue) && isFreshLiteral(e.whenFalse);
  return false;
}

/** Object literals in `source` that spread an existing object and then add members: `file:line  text`. */
export function slowSpreads(fileName: string, source: string): string[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isObjectLiteralExpression(node)) {
      const props = node.properties;
      props.forEach((p, i) => {
        if (ts.isSpreadAssignment(p) && !isFreshLiteral(p.expression) && i < props.length - 1) {
          const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
          found.push(`${fileName}:${line + 1}  ${node.getText(sf).replace(/\s+/g, ' ').slice(0, 100)}`);
        }
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

describe('hot-path object literals', () => {
  test('when the check reads a literal that spreads a row and then adds a key, then it reports it, and it passes the cheap forms', () => {
    const src = `
      const a = { ...row, key: 1 };
      const b = { ...x, ...y };
      const c = { key: 1, ...row };
      const d = { key: 1, ...(flag ? { k: 2 } : {}), other: 3 };
      const e = { ...row };`;
    const found = slowSpreads('example.ts', src);
    expect(found.map((f) => f.split('  ')[1])).toEqual(['{ ...row, key: 1 }', '{ ...x, ...y }']);
  });

  test.each(HOT_FILES)('when %s builds an object, then it never spreads an existing object before other members', (file) => {
    expect(slowSpreads(file, readFileSync(path.join(ROOT, file), 'utf8'))).toEqual([]);
  });
});
