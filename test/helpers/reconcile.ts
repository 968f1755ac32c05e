/**
 * The reconciler as a test assertion: every test file that moves money calls
 * `expectReconciled(h)` in afterAll, before `h.close()`, so each file ends with a journal
 * that explains every balance.
 */
import type { Harness } from './harness';

export async function expectReconciled(h: Harness): Promise<void> {
  const report = await h.services.ledgerOps.reconcile();
  expect(report.differences).toEqual([]);
  expect(report.ok).toBe(true);
}
