import { startHarness, type Harness } from '../helpers/harness';

describe('bad input never gets a 500', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const expectProblem = (res: { status: number; headers: Record<string, string>; body: { code: string } }, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe(code);
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(ts|js):\d+/);
  };

  test('when the JSON is malformed, then 400 MALFORMED_JSON', async () => {
    const res = await h.http().post('/api/v1/auth/login').set('Content-Type', 'application/json').send('{"login": "a",');
    expectProblem(res, 400, 'MALFORMED_JSON');
  });

  test('when fields have wrong types and unknown fields appear, then 400 lists every bad field', async () => {
    const res = await h.http().post('/api/v1/auth/register/enterprise').send({ uscc: 42, orgNameZh: ['x'], district: 'atlantis', login: 'ok.login', password: 'long-enough-1', displayName: 'd', surprise: true });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    const fields = res.body.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['body.district', 'body.orgNameZh', 'body.surprise', 'body.uscc']);
  });

  test('when the body exceeds 100 kB, then 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await h.http().post('/api/v1/auth/login').send({ login: 'x', password: 'y'.repeat(120_000) });
    expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  test('when a string is longer than its maximum, then 400 names it', async () => {
    const res = await h.http().post('/api/v1/auth/register/consumer').send({ phone: '13900009999', password: 'p'.repeat(129) });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors[0].field).toBe('body.password');
  });

  test('when the body carries __proto__ or constructor keys, then 400 names them and nothing is polluted', async () => {
    const raw = '{"phone":"13900008888","password":"long-enough-1","__proto__":{"isAdmin":true},"nested":{"constructor":{"prototype":{"x":1}}}}';
    const res = await h.http().post('/api/v1/auth/register/consumer').set('Content-Type', 'application/json').send(raw);
    expectProblem(res, 400, 'VALIDATION_FAILED');
    const fields = res.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['body.__proto__', 'body.nested.constructor']));
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  test('when the content type is not JSON, then 415', async () => {
    const res = await h.http().post('/api/v1/auth/login').set('Content-Type', 'text/plain').send('login=a&password=b');
    expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  test('when the route does not exist, then 404 problem', async () => {
    expectProblem(await h.http().get('/api/v1/no/such/route'), 404, 'NOT_FOUND');
    expectProblem(await h.http().delete('/api/v1/me'), 404, 'NOT_FOUND');
  });

  test('when a path parameter is not a uuid, then 400 not 500', async () => {
    const token = await (async () => {
      await h.http().post('/api/v1/auth/register/consumer').send({ phone: '13900007777', password: 'long-enough-1' });
      return h.login('13900007777', 'long-enough-1');
    })();
    const res = await h.http().get("/api/v1/orgs/1'%20OR%201=1--").set('Authorization', `Bearer ${token}`);
    expectProblem(res, 400, 'VALIDATION_FAILED');
  });

  test('when a request succeeds, then it carries a request id and security headers', async () => {
    const res = await h.http().get('/api/v1/health');
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  test('when the OpenAPI document is fetched, then it lists the routes with their schemas', async () => {
    const res = await h.http().get('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(res.body.paths['/auth/register/enterprise'].post.requestBody.content['application/json'].schema.properties.uscc).toBeDefined();
    expect(res.body.paths['/orgs/{id}'].get.parameters[0]).toMatchObject({ name: 'id', in: 'path', required: true });
    const docs = await h.http().get('/api/docs/');
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('swagger-ui');
  });
});
