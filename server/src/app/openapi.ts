/** Owns the OpenAPI 3.1 document, generated from the route table's Joi schemas. */
import joiToSwagger from 'joi-to-swagger';
import Joi from 'joi';
import { PROBLEMS } from '@hqt/shared';
import type { RouteSpec } from './route';

const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', enum: Object.keys(PROBLEMS) },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: { field: { type: 'string' }, message: { type: 'string' }, type: { type: 'string' } },
      },
    },
  },
};

function toOpenApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parametersOf(where: 'path' | 'query' | 'header', schema: Joi.Schema | undefined): unknown[] {
  if (!schema) return [];
  const { swagger } = joiToSwagger(schema);
  const props = (swagger.properties ?? {}) as Record<string, unknown>;
  const required = new Set<string>((swagger.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: s,
  }));
}

export function buildOpenApi(specs: RouteSpec[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of specs) {
    const p = toOpenApiPath(spec.path);
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(spec.responses)) {
      const contentType = r.contentType ?? (Number(status) >= 400 ? 'application/problem+json' : 'application/json');
      const schema = r.schema ? joiToSwagger(r.schema).swagger : Number(status) >= 400 ? { $ref: '#/components/schemas/Problem' } : undefined;
      responses[status] = { description: r.description, ...(schema ? { content: { [contentType]: { schema } } } : {}) };
    }
    responses.default = {
      description: 'Error (problem+json)',
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    };
    const body = spec.body
      ? {
          requestBody: {
            required: true,
            content: {
              [spec.consumes === 'multipart' ? 'multipart/form-data' : 'application/json']: {
                schema: joiToSwagger(spec.body).swagger,
              },
            },
          },
        }
      : {};
    paths[p] ??= {};
    (paths[p] as Record<string, unknown>)[spec.method] = {
      summary: spec.summary,
      tags: [spec.tag],
      operationId: `${spec.method}${p.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      ...(spec.auth === 'public' ? { security: [] } : {}),
      ...(Array.isArray(spec.auth) ? { 'x-roles': spec.auth } : {}),
      parameters: [
        ...parametersOf('path', spec.params),
        ...parametersOf('query', spec.query),
        ...parametersOf('header', spec.headers),
      ],
      ...body,
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: '沪券通 Voucher issuance platform API',
      version,
      description: 'Government voucher programmes under 沪府办发〔2025〕5号. Amounts are integer fen.',
    },
    servers: [{ url: '/api/v1' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Problem: problemSchema },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
