/**
 * Owns auto-grant (免申即享): a manager uploads a list (USCC or mobile, optional amount) or asks
 * for every registered holder that matches the pool's rules; each line becomes a row, and the
 * `grants` job issues the vouchers, ≤ 500 rows per transaction with a savepoint per row so
 * that one bad row never aborts its batch. Every voucher carries the source reference
 * `grant:<holderId>`, unique per pool, so re-running the job or uploading the same list again
 * grants nobody twice.
 */
import { createHash } from 'node:crypto';
import Joi from 'joi';
import {
  evaluateEligibility, type EligibilitySubject, GRANT_BATCH_ROWS_MAX, GRANT_FILE_BYTES_MAX, GRANT_ROWS_MAX, grantJsonBody, isValidMainlandMobile,
  isValidUscc, normalizePhone, normalizeUscc, type GrantBatch, type GrantSkipReason, type ProblemCode,
} from '@hqt/shared';
import type { Request, Response } from 'express';
import type { Clock } from '../../platform/clock';
import { sql, type Db, type Queryable } from '../../platform/db';
import type { Logger } from '../../platform/logger';
import { pgErrorOf, PG_UNIQUE_VIOLATION } from '../../platform/pg-errors';
import { HttpProblem } from '../../app/problem';
import { check } from '../../app/validate';
import type { AuditService } from '../audit';
import { hasRole, orgsWithRole, type Actor } from '../identity';
import { ISSUER_READ_ROLES, type Holder, type PoolRow, type PoolsService } from '../pools';
import type { VouchersService } from '../vouchers';
import { readMultipart } from '../applications';
import { csvLines, readCsv, UTF8_BOM } from './csv';
import * as repo from './grants.repository';
import type { GrantBatchRow, GrantRowRow, NewGrantRow, RowOutcome } from './grants.repository';

/** How long one job run may keep processing; the next run carries on. */
const RUN_BUDGET_MS = 45_000;
const OPEN_BATCHES_PER_RUN = 50;
const RESULT_PAGE_ROWS = 5000;
const CANDIDATE_PAGE_ROWS = 5000;
/** An unexpected error leaves the row pending for another run, up to this many tries. */
const ROW_ATTEMPTS_MAX = 3;

const REASON_BY_PROBLEM: Partial<Record<ProblemCode, GrantSkipReason>> = {
  LIMIT_REACHED: 'limit reached',
  DAILY_LIMIT_REACHED: 'limit reached',
  ANNUAL_CAP_REACHED: 'annual cap reached',
  POOL_EXHAUSTED: 'budget exhausted',
  NOT_ELIGIBLE: 'ineligible',
};

export const RESULT_CSV_HEADER = ['row', 'identifier', 'amount_fen', 'status', 'voucher_code', 'reason', 'detail'];

export interface ProcessSummary {
  batches: number;
  rows: number;
  granted: number;
  skipped: number;
}

type Audience = PoolRow['audience'];

/** A registered holder of a chunk, and the code of the grant voucher it already holds in the pool. */
interface Known {
  holderId: string;
  voucherCode: string | null;
}

/** One auto-grant voucher per holder per pool, whichever batch or run issues it. */
function sourceRefOf(holderId: string): string {
  return `grant:${holderId}`;
}

/** Normalises an identifier for the pool's audience; null when it is not a valid USCC / mobile number. */
export function normaliseIdentifier(audience: Audience, raw: string): string | null {
  if (audience === 'enterprise') {
    const uscc = normalizeUscc(raw);
    return isValidUscc(uscc) ? uscc : null;
  }
  const phone = normalizePhone(raw);
  return isValidMainlandMobile(phone) ? phone : null;
}

/** The rows of an uploaded list: syntax errors and repeated identifiers are skipped on the spot. */
export function rowsOfList(audience: Audience, poolAmountFen: number, lines: { line: number; identifier: string; amount: string }[]): NewGrantRow[] {
  const firstLineOf = new Map<string, number>();
  return lines.map(({ line, identifier: raw, amount }) => {
    const base = { rowNo: line, identifierRaw: raw.slice(0, 100), identifier: null, amountFen: null };
    const identifier = normaliseIdentifier(audience, raw);
    if (!identifier) {
      const what = audience === 'enterprise' ? 'a valid Unified Social Credit Code (18 characters, check character)' : 'a mainland mobile number';
      return { ...base, skip: { reason: 'invalid identifier', detail: `not ${what}` } };
    }
    const amountFen = amount === '' ? null : /^\d{1,15}$/.test(amount) ? Number(amount) : NaN;
    if (amountFen !== null && (!Number.isSafeInteger(amountFen) || amountFen < 1 || amountFen > poolAmountFen)) {
      return { ...base, identifier, skip: { reason: 'invalid amount', detail: `amountFen must be a whole number from 1 to ${poolAmountFen}` } };
    }
    const first = firstLineOf.get(identifier);
    if (first !== undefined) return { ...base, identifier, skip: { reason: 'duplicate line', detail: `same holder as row ${first}` } };
    firstLineOf.set(identifier, line);
    return { ...base, identifier, amountFen, skip: null };
  });
}

export class GrantsService {
  constructor(
    private readonly db: Db, private readonly clock: Clock, private readonly audit: AuditService,
    private readonly pools: PoolsService, private readonly vouchers: VouchersService, private readonly logger: Logger,
  ) {}

  /** `POST /pools/:id/grants`: a multipart CSV upload (the `file` part), or JSON `{mode: 'all_matching'}`. */
  async create(actor: Actor, poolId: string, req: Request, res: Response): Promise<GrantBatch> {
    if (!req.is('multipart/form-data')) {
      check('body', grantJsonBody, req.body ?? {});
      return this.createAllMatching(actor, poolId);
    }
    await this.managedGrantPool(actor, poolId);
    const upload = await readMultipart(req, res, { fileField: 'file', filesMax: 1, fileBytesMax: GRANT_FILE_BYTES_MAX, fileProblem: 'CSV_INVALID' });
    check('body', Joi.object({}), upload.fields);
    const file = upload.files[0];
    if (!file) throw new HttpProblem('VALIDATION_FAILED', 'Attach the list as the "file" part', { errors: [{ field: 'body.file', message: 'file is required', type: 'any.required' }] });
    return this.createFromCsv(actor, poolId, file.name, file.bytes);
  }

  /** A batch from the bytes of a list: one row per line, lines refused on sight already skipped. */
  async createFromCsv(actor: Actor, poolId: string, fileName: string, bytes: Buffer): Promise<GrantBatch> {
    const pool = await this.managedGrantPool(actor, poolId);
    if (bytes.length > GRANT_FILE_BYTES_MAX) throw new HttpProblem('CSV_INVALID', `The file is larger than ${GRANT_FILE_BYTES_MAX} bytes`);
    const lines = readCsv(bytes, { columns: ['identifier', 'amountFen'], rowsMax: GRANT_ROWS_MAX })
      .map((r) => ({ line: r.line, identifier: r.cells.identifier ?? '', amount: r.cells.amountfen ?? '' }));
    const rows = rowsOfList(pool.audience, pool.amount_fen, lines);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    return this.store(actor, pool, { mode: 'csv', fileName, fileSha256: sha256 }, rows);
  }

  /** A batch of every registered holder the pool's rules admit. */
  async createAllMatching(actor: Actor, poolId: string): Promise<GrantBatch> {
    const pool = await this.managedGrantPool(actor, poolId);
    return this.store(actor, pool, { mode: 'all_matching', fileName: null, fileSha256: null }, await this.matchingRows(pool));
  }

  private async managedGrantPool(actor: Actor, poolId: string): Promise<PoolRow> {
    const pool = await this.pools.visiblePool(actor, poolId);
    if (!orgsWithRole(actor, ['issuer_manager']).includes(pool.issuer_id)) throw new HttpProblem('FORBIDDEN');
    if (pool.distribution !== 'auto_grant') throw new HttpProblem('WRONG_DISTRIBUTION', `This pool issues by ${pool.distribution}`);
    if (!['scheduled', 'open'].includes(pool.status)) throw new HttpProblem('POOL_NOT_OPEN', `The pool is ${pool.status}`);
    if (this.clock.now() >= new Date(pool.claim_closes_at)) throw new HttpProblem('CLAIM_WINDOW_CLOSED');
    return pool;
  }

  /**
   * Every active registered holder of the audience that the pool's rules admit today. The job
   * checks eligibility again, row by row, when it grants.
   */
  private async matchingRows(pool: PoolRow): Promise<NewGrantRow[]> {
    const now = this.clock.now();
    const list = pool.eligibility.listOnly ? await repo.eligibleListOf(this.db, pool.id) : new Set<string>();
    const matching: string[] = [];
    let after = '';
    for (;;) {
      const page = await this.candidatePage(pool.audience, after, list);
      for (const c of page) {
        if (evaluateEligibility(pool.eligibility, c.subject, pool.audience, now).eligible) matching.push(c.identifier);
      }
      if (matching.length > GRANT_ROWS_MAX) {
        throw new HttpProblem('VALIDATION_FAILED', `More than ${GRANT_ROWS_MAX} holders match; one batch takes at most that many: upload lists instead`);
      }
      if (page.length < CANDIDATE_PAGE_ROWS) break;
      after = (page[page.length - 1] as { identifier: string }).identifier;
    }
    return matching.map((identifier, i) => ({ rowNo: i + 1, identifierRaw: identifier, identifier, amountFen: null, skip: null }));
  }

  /** A page of registered holders as the shared eligibility rules see them, by identifier. */
  private async candidatePage(audience: Audience, after: string, list: Set<string>): Promise<{ identifier: string; subject: EligibilitySubject }[]> {
    if (audience === 'enterprise') {
      return (await repo.activeEnterprises(this.db, after, CANDIDATE_PAGE_ROWS)).map((e) => ({
        identifier: e.uscc,
        subject: { kind: 'enterprise', district: e.district, foundedOn: e.founded_on, headcount: e.headcount, tags: e.tags, industryCodes: e.industry_codes, onList: list.has(e.uscc) },
      }));
    }
    return (await repo.activeConsumers(this.db, after, CANDIDATE_PAGE_ROWS)).map((c) => ({
      identifier: c.phone,
      subject: { kind: 'consumer', realNameVerified: c.real_name, residenceDistrict: c.residence_district, onList: list.has(c.phone) },
    }));
  }

  private async store(
    actor: Actor, pool: PoolRow, source: { mode: 'csv' | 'all_matching'; fileName: string | null; fileSha256: string | null }, rows: NewGrantRow[],
  ): Promise<GrantBatch> {
    const now = this.clock.now();
    const batch = await this.db.transaction(async (tx) => {
      const inserted = await repo.insertBatch(tx, { poolId: pool.id, issuerId: pool.issuer_id, createdBy: actor.userId, ...source }, rows, now);
      await this.audit.record(tx, {
        actorUserId: actor.userId, actorOrgId: pool.issuer_id, orgId: pool.issuer_id, action: 'grant.created', targetType: 'grant',
        targetId: inserted.id, summary: { poolId: pool.id, ...source, total: inserted.total, refusedOnUpload: inserted.skipped },
      });
      return inserted;
    });
    return toGrantBatch(batch);
  }

  // ---- the job ----

  /** Works through every open batch, oldest first, within one run's time budget. */
  async processPending(): Promise<ProcessSummary> {
    const started = performance.now();
    const summary: ProcessSummary = { batches: 0, rows: 0, granted: 0, skipped: 0 };
    for (const grantId of await repo.openBatchIds(this.db, OPEN_BATCHES_PER_RUN)) {
      summary.batches++;
      let afterRowNo = 0;
      while (performance.now() - started < RUN_BUDGET_MS) {
        const chunk = await this.processChunk(grantId, afterRowNo);
        if (!chunk) break;
        afterRowNo = chunk.lastRowNo;
        summary.rows += chunk.granted + chunk.skipped;
        summary.granted += chunk.granted;
        summary.skipped += chunk.skipped;
      }
    }
    return summary;
  }

  /** One transaction: up to 500 pending rows after `afterRowNo`; null when there is nothing to do now. */
  private async processChunk(grantId: string, afterRowNo: number): Promise<{ lastRowNo: number; granted: number; skipped: number } | null> {
    return this.db.transaction(async (tx) => {
      const batch = await repo.lockBatch(tx, grantId);
      const pool = batch ? await repo.poolById(tx, batch.pool_id) : null;
      if (!batch || !pool || batch.status === 'done') return null;
      const now = this.clock.now();
      const phase = poolPhase(pool, now);
      if (phase === 'waiting') return null;
      const rows = await repo.pendingRows(tx, grantId, afterRowNo, GRANT_BATCH_ROWS_MAX);
      if (rows.length === 0) return null;
      const known = phase === 'open' ? await this.lookUp(tx, pool, rows) : new Map<string, Known>();
      const finished: { rowNo: number; outcome: RowOutcome }[] = [];
      for (const row of rows) {
        const outcome = phase === 'closed'
          ? { status: 'skipped' as const, holderId: null, reason: 'pool closed', detail: `The pool is ${pool.status}; its window ends ${pool.claim_closes_at}` }
          : await this.grantRow(tx, pool, row, known, now);
        if (outcome === 'retry') await repo.bumpAttempts(tx, grantId, row.row_no);
        else finished.push({ rowNo: row.row_no, outcome });
      }
      await repo.finishRows(tx, grantId, finished, now);
      const granted = finished.filter((f) => f.outcome.status === 'granted').length;
      const moved = await repo.addProgress(tx, grantId, granted, finished.length - granted, now);
      if (moved.status === 'done') {
        await this.audit.record(tx, {
          actorUserId: null, orgId: moved.issuer_id, action: 'grant.completed', targetType: 'grant', targetId: grantId,
          summary: { poolId: moved.pool_id, total: moved.total, granted: moved.granted, skipped: moved.skipped },
        });
      }
      return { lastRowNo: (rows[rows.length - 1] as GrantRowRow).row_no, granted, skipped: finished.length - granted };
    });
  }

  /** The chunk's holders and the grant vouchers they already hold in this pool, in two statements. */
  private async lookUp(tx: Queryable, pool: PoolRow, rows: GrantRowRow[]): Promise<Map<string, Known>> {
    const identifiers = rows.map((r) => r.identifier).filter((i): i is string => i !== null);
    const holders = await repo.holdersByIdentifier(tx, pool.audience, identifiers);
    const codes = await repo.grantCodesBySourceRef(tx, pool.id, [...holders.values()].map(sourceRefOf));
    const known = new Map<string, Known>();
    for (const [identifier, holderId] of holders) known.set(identifier, { holderId, voucherCode: codes.get(sourceRefOf(holderId)) ?? null });
    return known;
  }

  private async grantRow(tx: Queryable, pool: PoolRow, row: GrantRowRow, known: Map<string, Known>, now: Date): Promise<RowOutcome | 'retry'> {
    if (row.identifier === null) throw new Error(`assertion: pending grant row ${row.grant_id}:${row.row_no} has no identifier`);
    const found = known.get(row.identifier);
    if (!found) return { status: 'skipped', holderId: null, reason: 'not registered', detail: null };
    const { holderId, voucherCode } = found;
    if (voucherCode) return { status: 'skipped', holderId, reason: 'already granted', detail: `voucher ${voucherCode}` };
    const holder: Holder = { kind: pool.audience, id: holderId };
    const eligibility = await this.pools.eligibilityOf(tx, pool, holder);
    if (!eligibility.eligible) {
      return { status: 'skipped', holderId, reason: 'ineligible', detail: eligibility.reasons.filter((r) => !r.pass).map((r) => r.en).join('; ') };
    }
    return this.issueIsolated(tx, pool, row, holder, now);
  }

  /** Issues inside a savepoint: a refused or failed issue undoes its counters and reservation, and the chunk goes on. */
  private async issueIsolated(tx: Queryable, pool: PoolRow, row: GrantRowRow, holder: Holder, now: Date): Promise<RowOutcome | 'retry'> {
    await tx.query(sql`SAVEPOINT grant_row`);
    try {
      const voucher = await this.vouchers.issueOne(tx, pool, {
        holder, amountFen: row.amount_fen ?? pool.amount_fen, source: 'grant', sourceRef: sourceRefOf(holder.id),
        pending: pool.confirm_mode === 'one_click',
      }, now);
      await tx.query(sql`RELEASE SAVEPOINT grant_row`);
      return { status: 'granted', holderId: holder.id, voucherId: voucher.id };
    } catch (err) {
      await tx.query(sql`ROLLBACK TO SAVEPOINT grant_row`);
      await tx.query(sql`RELEASE SAVEPOINT grant_row`);
      return this.outcomeOfError(err, pool, row, holder.id);
    }
  }

  private outcomeOfError(err: unknown, pool: PoolRow, row: GrantRowRow, holderId: string): RowOutcome | 'retry' {
    if (err instanceof HttpProblem) {
      const reason = REASON_BY_PROBLEM[err.code];
      if (reason) return { status: 'skipped', holderId, reason, detail: err.detail ?? null };
    }
    const pg = pgErrorOf(err);
    if (pg?.code === PG_UNIQUE_VIOLATION && pg.constraint === 'vouchers_source_ref') {
      return { status: 'skipped', holderId, reason: 'already granted', detail: null };
    }
    this.logger.error({ err, grantId: row.grant_id, row: row.row_no, poolId: pool.id }, 'grant row failed');
    if (row.attempts + 1 < ROW_ATTEMPTS_MAX) return 'retry';
    return { status: 'skipped', holderId, reason: 'error', detail: (err as Error).message };
  }

  // ---- reading ----

  private async visibleBatch(actor: Actor, id: string): Promise<GrantBatchRow> {
    const batch = await repo.findBatch(this.db, id);
    const visible = batch && (hasRole(actor, ['platform_admin']) || orgsWithRole(actor, ISSUER_READ_ROLES).includes(batch.issuer_id));
    if (!batch || !visible) throw new HttpProblem('NOT_FOUND', 'No such grant');
    return batch;
  }

  async get(actor: Actor, id: string): Promise<GrantBatch> {
    return toGrantBatch(await this.visibleBatch(actor, id));
  }

  async listForPool(actor: Actor, poolId: string, limit: number): Promise<{ items: GrantBatch[]; nextCursor: null }> {
    const pool = await this.pools.visiblePool(actor, poolId);
    if (!hasRole(actor, ['platform_admin']) && !orgsWithRole(actor, ISSUER_READ_ROLES).includes(pool.issuer_id)) throw new HttpProblem('FORBIDDEN');
    return { items: (await repo.batchesOfPool(this.db, poolId, limit)).map(toGrantBatch), nextCursor: null };
  }

  /** The result file, checked for visibility before the first byte; then written page by page. */
  async resultCsv(actor: Actor, id: string): Promise<AsyncIterable<string>> {
    const batch = await this.visibleBatch(actor, id);
    const db = this.db;
    return (async function* pages() {
      yield UTF8_BOM + csvLines([RESULT_CSV_HEADER]);
      let after = 0;
      for (;;) {
        const rows = await repo.resultRows(db, batch.id, after, RESULT_PAGE_ROWS);
        if (rows.length === 0) return;
        yield csvLines(rows.map((r) => [r.row_no, r.identifier_raw, r.amount_fen, r.status, r.voucher_code, r.reason, r.detail]));
        after = (rows[rows.length - 1] as repo.ResultRow).row_no;
      }
    })();
  }
}

/** 'waiting': not yet open or paused, rows stay pending; 'closed': rows are skipped; 'open': grant. */
function poolPhase(pool: PoolRow, now: Date): 'waiting' | 'open' | 'closed' {
  if (['closed', 'rejected'].includes(pool.status) || now >= new Date(pool.claim_closes_at)) return 'closed';
  if (pool.status === 'paused' || now < new Date(pool.claim_opens_at)) return 'waiting';
  return ['scheduled', 'open'].includes(pool.status) ? 'open' : 'waiting';
}

export function toGrantBatch(b: GrantBatchRow): GrantBatch {
  return {
    id: b.id, poolId: b.pool_id, mode: b.mode, fileName: b.file_name, status: b.status, total: b.total, processed: b.processed,
    granted: b.granted, skipped: b.skipped, createdBy: b.created_by, createdAt: b.created_at, finishedAt: b.finished_at,
  };
}
