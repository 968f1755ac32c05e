/**
 * Owns vouchers: issuing them from a pool (every path: claim, lottery, application, grant
 * goes through `issueOne`), the holder's wallet, QR codes, one-click confirmation and
 * revocation. Issuing reserves the amount from the pool's available budget in the same
 * transaction as the voucher row and its journal entries.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import QRCode from 'qrcode';
import {
  QR_STEP_SECONDS, shanghaiDate, shanghaiYear, voucherCodeFromBytes, type Voucher,
} from '@hqt/shared';
import type { Clock } from '../../platform/clock';
import type { Db, Queryable } from '../../platform/db';
import { HttpProblem } from '../../app/problem';
import { idempotent, type StoredAnswer } from '../../app/idempotency';
import type { AuditService } from '../audit';
import { hasRole, orgsWithRole, type Actor } from '../identity';
import { ledger } from '../ledger';
import { holderFor, ISSUER_READ_ROLES, type Holder, type PoolRow, type PoolsService } from '../pools';
import * as repo from './vouchers.repository';
import type { VoucherRow, VoucherWithPool } from './vouchers.repository';
import { QrTokens } from './qr-tokens';
import { consumeTicketStub } from '../ticket-stubs';

const DAY_MS = 86_400_000;

export interface IssueRequest {
  holder: Holder;
  /** defaults to the pool's voucher amount */
  amountFen?: number;
  providerId?: string | null;
  source: 'claim' | 'lottery' | 'application' | 'grant';
  /** a unique reference per pool and source: a re-run with the same reference issues nothing */
  sourceRef?: string | null;
  /** one-click confirmation pools start vouchers as pending_confirmation */
  pending?: boolean;
}

export class VouchersService {
  readonly qr: QrTokens;

  constructor(
    private readonly db: Db, private readonly clock: Clock, private readonly audit: AuditService,
    private readonly pools: PoolsService, qrSecret: string,
  ) {
    this.qr = new QrTokens(qrSecret);
  }

  /**
   * Issues one voucher inside the caller's transaction. Limits are counter rows and the
   * budget is one conditional UPDATE, so no concurrency can oversell or pass a limit.
   * Throws a problem (LIMIT_REACHED, DAILY_LIMIT_REACHED, ANNUAL_CAP_REACHED, POOL_EXHAUSTED).
   */
  async issueOne(tx: Queryable, pool: PoolRow, req: IssueRequest, now: Date): Promise<VoucherRow> {
    const amountFen = req.amountFen ?? pool.amount_fen;
    if (!Number.isSafeInteger(amountFen) || amountFen <= 0) throw new Error(`assertion: bad voucher amount ${amountFen}`);
    if (!(await repo.bumpPoolCounter(tx, pool.id, req.holder.id, pool.per_holder_max))) throw new HttpProblem('LIMIT_REACHED');
    if (pool.per_holder_daily_max !== null &&
        !(await repo.bumpDailyCounter(tx, pool.id, req.holder.id, shanghaiDate(now), pool.per_holder_daily_max))) {
      throw new HttpProblem('DAILY_LIMIT_REACHED');
    }
    if (pool.annual_cap_fen !== null &&
        !(await repo.addAnnualUse(tx, pool.issuer_id, pool.kind, req.holder.id, shanghaiYear(now), amountFen, pool.annual_cap_fen))) {
      throw new HttpProblem('ANNUAL_CAP_REACHED');
    }
    if (!(await ledger.reserve(tx, pool.id, amountFen))) throw new HttpProblem('POOL_EXHAUSTED');
    const validUntil = pool.valid_until ? new Date(pool.valid_until) : new Date(now.getTime() + (pool.valid_days ?? 30) * DAY_MS);
    const id = randomUUID();
    const [voucher] = await repo.insertVouchers(tx, [{
      id, code: voucherCodeFromBytes(randomBytes(10)), poolId: pool.id, issuerId: pool.issuer_id, holderKind: req.holder.kind,
      holderId: req.holder.id, amountFen, providerId: req.providerId ?? null, validFrom: now, validUntil,
      status: req.pending ? 'pending_confirmation' : 'active', source: req.source, sourceRef: req.sourceRef ?? null,
    }], now);
    await ledger.post(tx, ledger.issueEntries(pool.id, [{ id, amountFen }], now));
    return voucher as VoucherRow;
  }

  /** 抢券: first come, first served, under an Idempotency-Key per holder. */
  async claim(actor: Actor, poolId: string, idempotencyKey: string, body: { ticketStub?: string }): Promise<StoredAnswer> {
    const pool = await this.pools.visiblePool(actor, poolId);
    const holder = holderFor(actor, pool.audience);
    if (!holder) throw new HttpProblem('NOT_ELIGIBLE', `This pool is for ${pool.audience === 'consumer' ? 'consumers' : 'enterprises'}`);
    return idempotent(this.db, this.clock, `claim:${holder.id}`, idempotencyKey, { poolId, body }, async (tx) => {
      const now = this.clock.now();
      this.assertClaimable(pool, 'first_come', now);
      const eligibility = await this.pools.eligibilityOf(tx, pool, holder);
      if (!eligibility.eligible) {
        throw new HttpProblem('NOT_ELIGIBLE', eligibility.reasons.filter((r) => !r.pass).map((r) => r.en).join('; '));
      }
      if (pool.ticket_stub_required) await consumeTicketStub(tx, pool, holder.id, body.ticketStub, now);
      const voucher = await this.issueOne(tx, pool, { holder, source: 'claim' }, now);
      return { status: 201, body: this.view({ ...voucher, ...poolColumnsOf(pool) }, actor) };
    });
  }

  /** Window and state checks shared by every holder-initiated path. */
  assertClaimable(pool: PoolRow, distribution: PoolRow['distribution'], now: Date): void {
    if (pool.distribution !== distribution) throw new HttpProblem('WRONG_DISTRIBUTION', `This pool issues by ${pool.distribution}`);
    if (!['scheduled', 'open'].includes(pool.status)) throw new HttpProblem('POOL_NOT_OPEN', `The pool is ${pool.status}`);
    if (now < new Date(pool.claim_opens_at) || now >= new Date(pool.claim_closes_at)) throw new HttpProblem('CLAIM_WINDOW_CLOSED');
  }

  /** A voucher as its holder, its issuer or the platform sees it; the QR key only for the holder. */
  view(v: VoucherWithPool, actor: Actor): Voucher {
    const isHolder = this.isHolder(actor, v);
    const now = this.clock.now().getTime();
    return {
      id: v.id, code: v.code, poolId: v.pool_id, poolNameZh: v.pool_name_zh, poolNameEn: v.pool_name_en, kind: v.kind,
      holderKind: v.holder_kind, holderId: v.holder_id, amountFen: v.amount_fen, balanceFen: v.balance_fen, heldFen: v.held_fen,
      status: v.status, validFrom: v.valid_from, validUntil: v.valid_until,
      valueRule: {
        type: v.value_type, amountFen: v.amount_fen,
        ...(v.value_type === 'fixed' ? { minSpendFen: v.min_spend_fen } : {}),
        ...(v.ratio_bp !== null ? { ratioBp: v.ratio_bp } : {}),
      },
      merchantScope: v.merchant_scope, bannedCategories: v.banned_categories, redemptionMode: v.redemption_mode,
      providerId: v.provider_id, source: v.source, issuedAt: v.issued_at,
      qr: v.holder_kind === 'consumer'
        ? { mode: 'dynamic', stepSeconds: QR_STEP_SECONDS, ...(isHolder ? { key: this.qr.voucherKey(v.id) } : {}) }
        : { mode: 'static', stepSeconds: QR_STEP_SECONDS, ...(isHolder ? { token: this.qr.tokenFor(toTokenVoucher(v), now) } : {}) },
    };
  }

  private isHolder(actor: Actor, v: VoucherRow): boolean {
    return v.holder_kind === 'consumer' ? v.holder_id === actor.userId : orgsWithRole(actor, ['enterprise']).includes(v.holder_id);
  }

  /** Holders see their own, issuers their own issuer's, the platform admin all; others 404. */
  async visibleVoucher(actor: Actor, id: string, q: Queryable = this.db): Promise<VoucherWithPool> {
    const v = await repo.findWithPool(q, id);
    const visible = v && (this.isHolder(actor, v) || hasRole(actor, ['platform_admin']) ||
      orgsWithRole(actor, ISSUER_READ_ROLES).includes(v.issuer_id));
    if (!v || !visible) throw new HttpProblem('NOT_FOUND', 'No such voucher');
    return v;
  }

  async get(actor: Actor, id: string): Promise<Voucher> {
    return this.view(await this.visibleVoucher(actor, id), actor);
  }

  async list(actor: Actor, q: { limit: number; cursor?: string; poolId?: string; status?: string }): Promise<{ items: Voucher[]; nextCursor: string | null }> {
    const [beforeIssuedAt, beforeId] = q.cursor ? Buffer.from(q.cursor, 'base64url').toString().split('|') : [];
    const paging = beforeIssuedAt && beforeId && /^[0-9a-f-]{36}$/.test(beforeId) && !Number.isNaN(Date.parse(beforeIssuedAt))
      ? { beforeIssuedAt, beforeId } : {};
    const common = { limit: q.limit, ...paging, ...(q.poolId ? { poolId: q.poolId } : {}), ...(q.status ? { status: q.status } : {}) };
    const issuerScope = hasRole(actor, ['platform_admin']) ? 'all' as const : orgsWithRole(actor, ISSUER_READ_ROLES);
    let rows: VoucherWithPool[];
    if (issuerScope === 'all' || issuerScope.length > 0) rows = await repo.list(this.db, { ...common, issuerIds: issuerScope });
    else {
      const holder = holderFor(actor, 'consumer') ?? holderFor(actor, 'enterprise');
      rows = holder ? await repo.list(this.db, { ...common, holderId: holder.id }) : [];
    }
    const last = rows[rows.length - 1];
    return {
      items: rows.map((r) => this.view(r, actor)),
      nextCursor: rows.length === q.limit && last ? Buffer.from(`${last.issued_at}|${last.id}`).toString('base64url') : null,
    };
  }

  /** The QR code of the voucher's current token, for its holder only (SVG or PNG, error correction M). */
  async qrImage(actor: Actor, id: string, format: 'svg' | 'png'): Promise<{ contentType: string; body: string | Buffer; token: string }> {
    const v = await this.visibleVoucher(actor, id);
    if (!this.isHolder(actor, v)) throw new HttpProblem('NOT_FOUND', 'No such voucher');
    const token = this.qr.tokenFor(toTokenVoucher(v), this.clock.now().getTime());
    if (format === 'png') return { contentType: 'image/png', body: await QRCode.toBuffer(token, { errorCorrectionLevel: 'M', margin: 2, scale: 8 }), token };
    return { contentType: 'image/svg+xml', body: await QRCode.toString(token, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }), token };
  }

  /** 意愿确认: the holder accepts a granted voucher in one click. Idempotent. */
  async confirm(actor: Actor, id: string): Promise<Voucher> {
    const v = await this.visibleVoucher(actor, id);
    if (!this.isHolder(actor, v)) throw new HttpProblem('NOT_FOUND', 'No such voucher');
    if (v.status === 'pending_confirmation') {
      await this.db.transaction((tx) => repo.confirmPending(tx, id, v.holder_id, this.clock.now()));
    } else if (v.status !== 'active') throw new HttpProblem('VOUCHER_NOT_ACTIVE');
    return this.get(actor, id);
  }

  /** The issuer revokes a voucher; its remaining balance returns to the pool. Idempotent. */
  async revoke(actor: Actor, id: string, reason: string): Promise<Voucher> {
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const v = await this.visibleVoucher(actor, id, tx);
      if (!orgsWithRole(actor, ['issuer_manager', 'issuer_approver']).includes(v.issuer_id)) {
        if (this.isHolder(actor, v)) throw new HttpProblem('FORBIDDEN');
        throw new HttpProblem('NOT_FOUND', 'No such voucher');
      }
      if (v.status === 'revoked') return;
      const closed = await ledger.closeVoucher(tx, id, 'revoked', now, reason);
      if (!closed) throw new HttpProblem('VOUCHER_NOT_ACTIVE', v.held_fen > 0 ? 'A redemption awaiting confirmation holds part of it' : `The voucher is ${v.status}`);
      await this.audit.record(tx, {
        actorUserId: actor.userId, actorOrgId: v.issuer_id, orgId: v.issuer_id, action: 'voucher.revoked', targetType: 'voucher',
        targetId: id, summary: { reason, releasedFen: closed.releasedFen, poolId: v.pool_id },
      });
    });
    return this.get(actor, id);
  }

  /** Looks up a voucher by code for token verification. */
  async tokenVoucher(code: string, q: Queryable = this.db) {
    const v = await repo.findByCode(q, code);
    return v ? toTokenVoucher(v) : null;
  }
}

function toTokenVoucher(v: VoucherRow) {
  return { id: v.id, code: v.code, holderKind: v.holder_kind };
}

/** The pool columns a voucher view needs, from a pool row already loaded. */
export function poolColumnsOf(p: PoolRow) {
  return {
    pool_name_zh: p.name_zh, pool_name_en: p.name_en, kind: p.kind, value_type: p.value_type, pool_amount_fen: p.amount_fen,
    min_spend_fen: p.min_spend_fen, ratio_bp: p.ratio_bp, merchant_scope: p.merchant_scope, banned_categories: p.banned_categories,
    redemption_mode: p.redemption_mode,
  };
}
