/**
 * The baseline of every HTTP figure: express 5 answering {"hello":"world"} with no
 * middleware, started the same way as the server (a child process; WORKERS > 1: node cluster).
 * Plain JavaScript so that it runs without a build step.
 */
'use strict';
const cluster = require('node:cluster');
const express = require('express');

const workers = Number(process.env.WORKERS || '1');
if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
    process.exit(0);
  });
} else {
  const app = express();
  app.disable('x-powered-by');
  app.get('/hello', (_req, res) => res.json({ hello: 'world' }));
  const server = app.listen(Number(process.env.PORT), process.env.HOST || '127.0.0.1');
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
