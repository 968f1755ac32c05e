import {
  isValidResidentId, isValidUscc, normalizeResidentId, normalizeUscc, usccCheckChar,
  isValidVoucherCode, normalizeVoucherCode, voucherCodeFromBytes, formatVoucherCode,
} from '@hqt/shared';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { startHarness, type Harness } from '../helpers/harness';
import { sql } from '../../server/src/platform/db';

const VALID_USCC = '91110000600037341L';
const VALID_RID = '11010519491231002X';

describe('USCC (GB 32100-2015) and resident ID (GB 11643) validators', () => {
  test('when the published vectors are checked, then they are valid', () => {
    expect(isValidUscc(VALID_USCC)).toBe(true);
    expect(isValidResidentId(VALID_RID)).toBe(true);
  });

  test('when the check character is wrong, then the USCC is invalid', () => {
    expect(isValidUscc('91110000600037341M')).toBe(false);
    expect(isValidUscc('91110000600037341')).toBe(false);
  });

  test.each(['I', 'O', 'S', 'V', 'Z'])('when a USCC contains the excluded letter %s, then it is invalid', (letter) => {
    const body = '9111000060003734' + letter;
    expect(usccCheckChar(body)).toBeNull();
    expect(isValidUscc(body + 'L')).toBe(false);
  });

  test('when a USCC is lower-case or full-width, then normalising makes it valid', () => {
    expect(isValidUscc(normalizeUscc('91110000600037341l'))).toBe(true);
    expect(normalizeUscc('９１１１００００６０００３７３４１Ｌ')).toBe(VALID_USCC);
    expect(isValidUscc(normalizeUscc('９１１１ ００００ ６０００３７３４１ｌ'))).toBe(true);
  });

  test('when the resident ID check digit or birth date is wrong, then it is invalid', () => {
    expect(isValidResidentId('110105194912310021')).toBe(false); // check digit
    expect(isValidResidentId('110105194902300025')).toBe(false); // 30 February
    expect(isValidResidentId('110105299901010020')).toBe(false); // future birth date
    expect(isValidResidentId('990105194912310020')).toBe(false); // unknown province
    expect(isValidResidentId(normalizeResidentId('11010519491231002x'))).toBe(true);
  });

  test('when any 17 legal characters get their computed check character, then the USCC is valid', () => {
    const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
    const ch = fc.constantFrom(...alphabet.split(''));
    fc.assert(fc.property(fc.array(ch, { minLength: 10, maxLength: 10 }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 6, maxLength: 6 }), fc.array(ch, { minLength: 1, maxLength: 1 }), (org, area, reg) => {
      const body = '9' + reg.join('') + area.join('') + org.join('').slice(0, 9);
      const full = body + usccCheckChar(body);
      return isValidUscc(full) && !isValidUscc(body + (full.endsWith('0') ? '1' : '0'));
    }));
  });

  test('when a voucher code is generated, then it has 80 random bits, a valid check symbol, and survives a typo check', () => {
    const code = voucherCodeFromBytes(randomBytes(10));
    expect(code).toHaveLength(17);
    expect(isValidVoucherCode(code)).toBe(true);
    expect(isValidVoucherCode(normalizeVoucherCode(formatVoucherCode(code).toLowerCase()))).toBe(true);
    const flipped = code.slice(0, 3) + (code[3] === 'A' ? 'B' : 'A') + code.slice(4);
    expect(isValidVoucherCode(flipped)).toBe(false);
  });
});

describe('registration over HTTP validates identifiers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const enterprise = (uscc: string, login: string) => ({
    uscc, orgNameZh: '测试企业', district: 'pudong', login, password: 'secret-pass-1', displayName: '测试',
  });

  test('when an enterprise registers with a full-width lower-case USCC, then it is stored normalised', async () => {
    const res = await h.http().post('/api/v1/auth/register/enterprise').send(enterprise('９１１１００００６０００３７３４１ｌ', 'ent.fullwidth'));
    expect(res.status).toBe(201);
    const token = await h.login('ent.fullwidth', 'secret-pass-1');
    const org = await h.http().get(`/api/v1/orgs/${res.body.orgId}`).set('Authorization', `Bearer ${token}`);
    expect(org.body.uscc).toBe(VALID_USCC);
  });

  test('when the same USCC registers again, then 409 USCC_TAKEN', async () => {
    const res = await h.http().post('/api/v1/auth/register/enterprise').send(enterprise(VALID_USCC, 'ent.second'));
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('USCC_TAKEN');
  });

  test('when the USCC check character is wrong, then 400 names the field', async () => {
    const res = await h.http().post('/api/v1/auth/register/merchant')
      .send({ ...enterprise('91110000600037341M', 'mch.bad'), categories: ['catering'] });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('body.uscc');
  });

  test('when a consumer registers with a resident ID, then only the masked form is visible and the number is nowhere in the database', async () => {
    const res = await h.http().post('/api/v1/auth/register/consumer').send({ phone: '139 0000 1111', password: 'secret-pass-1', residentId: VALID_RID.toLowerCase() });
    expect(res.status).toBe(201);
    const token = await h.login('13900001111', 'secret-pass-1');
    const me = await h.http().get('/api/v1/me').set('Authorization', `Bearer ${token}`);
    expect(me.body.realNameVerified).toBe(true);
    expect(me.body.residentIdMasked).toBe('110***********002X');
    const rows = await h.db.query<Record<string, unknown>>(sql`SELECT * FROM users WHERE login = '13900001111'`);
    expect(JSON.stringify(rows)).not.toContain(VALID_RID);
    const audit = await h.db.query<Record<string, unknown>>(sql`SELECT summary FROM audit_log`);
    expect(JSON.stringify(audit)).not.toContain(VALID_RID);
  });

  test('when the resident ID has an impossible birth date, then 400 names the field', async () => {
    const res = await h.http().post('/api/v1/auth/register/consumer').send({ phone: '13900002222', password: 'secret-pass-1', residentId: '110105194902300025' });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('body.residentId');
  });
});
