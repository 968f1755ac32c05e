import Joi from 'joi';
import type { RouteSpec } from '../app/route';
import { HttpProblem } from '../app/problem';
import type { JobRunner } from '../platform/jobs';

export function jobsRoutes(runner: JobRunner): RouteSpec[] {
  return [
    {
      method: 'get', path: '/admin/jobs', tag: 'ops', auth: ['platform_admin'],
      query: Joi.object({ job: Joi.string().max(64), limit: Joi.number().integer().min(1).max(200).default(50) }),
      summary: 'The jobs, their schedules, and their latest runs (start, end, rows, error)',
      responses: { 200: { description: '{jobs, runs}' } },
      handler: async ({ query }) => ({
        jobs: runner.list().map((j) => ({ name: j.name, schedule: j.schedule, description: j.description })),
        runs: await runner.runs(query.job ?? null, query.limit),
      }),
    },
    {
      method: 'post', path: '/admin/jobs/:name/run', tag: 'ops', auth: ['platform_admin'],
      params: Joi.object({ name: Joi.string().pattern(/^[a-z0-9-]{1,64}$/).required() }),
      summary: 'Run a job now (safe: every job is idempotent and holds its lock)',
      responses: { 200: { description: 'The run record' } },
      handler: async ({ params }) => {
        if (!runner.has(params.name)) throw new HttpProblem('NOT_FOUND', `No job ${params.name}`);
        return runner.run(params.name, 'manual');
      },
    },
  ];
}
