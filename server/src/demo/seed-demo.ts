/**
 * Demo data for a fresh installation: a platform admin, two issuers (市经济信息化委 and
 * 市商务委) each with a manager, an approver and an auditor, three enterprises, two
 * merchants and one consumer. Runs only on an empty database.
 */
import { createHmac } from 'node:crypto';
import bcrypt from 'bcrypt';
import { maskResidentId, usccCheckChar, type Role } from '@hqt/shared';
import type { Config } from '../config/config';
import { sql, type Db, type Queryable } from '../platform/db';
import type { Logger } from '../platform/logger';
import * as identityRepo from '../capabilities/identity/identity.repository';

export const DEMO_PASSWORD = 'hqt-demo-2025';

function uscc(first17: string): string {
  return first17 + usccCheckChar(first17);
}

function residentId(first17: string): string {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * (w[i] as number), 0);
  return first17 + '10X98765432'.charAt(sum % 11);
}

interface DemoUser {
  login: string;
  name: string;
  role: Role;
}

async function addUsers(tx: Queryable, hash: string, orgId: string | null, users: DemoUser[]): Promise<void> {
  for (const u of users) {
    const userId = await identityRepo.insertUser(tx, { login: u.login, passwordHash: hash, displayName: u.name, phone: null });
    await identityRepo.insertMembership(tx, userId, orgId, u.role);
  }
}

export const DEMO_ORGS = {
  enterprises: [
    { login: 'ent.alpha', nameZh: '上海深算智能科技有限公司', nameEn: 'Shensuan AI Technology', uscc: uscc('91310115MA1FL0001'), district: 'pudong', tags: ['high_tech', 'ai', 'startup'], headcount: 45, foundedOn: '2023-04-18' },
    { login: 'ent.beta', nameZh: '上海语料工坊数据有限公司', nameEn: 'Corpus Works Data', uscc: uscc('91310104MA1FL0002'), district: 'xuhui', tags: ['specialised', 'ai'], headcount: 120, foundedOn: '2019-09-02' },
    { login: 'ent.gamma', nameZh: '上海黄浦精工咨询有限公司', nameEn: 'Huangpu Precision Consulting', uscc: uscc('91310101MA1FL0003'), district: 'huangpu', tags: ['sme'], headcount: 18, foundedOn: '2015-01-20' },
  ],
  merchants: [
    { login: 'mch.compute', nameZh: '临港算力服务有限公司', nameEn: 'Lingang Compute Services', uscc: uscc('91310115MA1FL0101'), district: 'pudong', categories: ['compute_provider', 'model_provider'] },
    { login: 'mch.catering', nameZh: '静安本帮菜馆', nameEn: "Jing'an Benbang Restaurant", uscc: uscc('92310106MA1FL0102'), district: 'jingan', categories: ['catering'] },
  ],
} as const;

export async function seedDemoIfEmpty(db: Db, config: Pick<Config, 'bcryptCost' | 'idHashSecret'>, logger: Logger): Promise<boolean> {
  const [row] = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM users`);
  if ((row?.n ?? 0) > 0) return false;
  const hash = await bcrypt.hash(DEMO_PASSWORD, config.bcryptCost);
  await db.transaction(async (tx) => {
    const platformId = await identityRepo.insertOrg(tx, { type: 'platform', nameZh: '沪券通平台运营方', nameEn: 'HQT platform operator', uscc: null, district: null, status: 'active' });
    await addUsers(tx, hash, platformId, [{ login: 'admin', name: '平台管理员 Platform admin', role: 'platform_admin' }]);
    for (const issuer of [
      { code: 'jxw', zh: '上海市经济和信息化委员会', en: 'Shanghai Municipal Commission of Economy and Informatization' },
      { code: 'swj', zh: '上海市商务委员会', en: 'Shanghai Municipal Commission of Commerce' },
    ]) {
      const orgId = await identityRepo.insertOrg(tx, { type: 'issuer', nameZh: issuer.zh, nameEn: issuer.en, uscc: null, district: null, status: 'active' });
      await addUsers(tx, hash, orgId, [
        { login: `${issuer.code}.manager`, name: `${issuer.code.toUpperCase()} 券池管理员`, role: 'issuer_manager' },
        { login: `${issuer.code}.approver`, name: `${issuer.code.toUpperCase()} 审批人`, role: 'issuer_approver' },
        { login: `${issuer.code}.auditor`, name: `${issuer.code.toUpperCase()} 审计员`, role: 'issuer_auditor' },
      ]);
    }
    for (const e of DEMO_ORGS.enterprises) {
      const orgId = await identityRepo.insertOrg(tx, { type: 'enterprise', nameZh: e.nameZh, nameEn: e.nameEn, uscc: e.uscc, district: e.district, status: 'active', tags: [...e.tags], headcount: e.headcount, foundedOn: e.foundedOn });
      await addUsers(tx, hash, orgId, [{ login: e.login, name: e.nameZh, role: 'enterprise' }]);
    }
    for (const m of DEMO_ORGS.merchants) {
      const orgId = await identityRepo.insertOrg(tx, { type: 'merchant', nameZh: m.nameZh, nameEn: m.nameEn, uscc: m.uscc, district: m.district, status: 'active', categories: [...m.categories] });
      await addUsers(tx, hash, orgId, [
        { login: m.login, name: m.nameZh, role: 'merchant_admin' },
        { login: `${m.login}.cashier`, name: `${m.nameZh} 收银员`, role: 'merchant_cashier' },
      ]);
    }
    const rid = residentId('31010419900307123');
    const consumerId = await identityRepo.insertUser(tx, {
      login: '13800138000', passwordHash: hash, displayName: '张三 Zhang San', phone: '13800138000',
      residentIdMasked: maskResidentId(rid), residentIdHash: createHmac('sha256', config.idHashSecret).update(rid).digest('hex'),
      residenceDistrict: 'xuhui',
    });
    await identityRepo.insertMembership(tx, consumerId, null, 'consumer');
  });
  logger.info('seeded demo data (password for every demo login: %s)', DEMO_PASSWORD);
  return true;
}
