/**
 * `npm run bench -- <name> [options]` runs one benchmark against DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/test) in a database of its own, prints medians, writes
 * JSON to bench-results/ and appends a summary line to docs/BENCHMARKS.md.
 *
 * Names: baseline, claim-engine, claim-storm, redeem, lottery, reports, embedded.
 * Options: --runs N (3) · --scale F (1 = the sizes) · --workers N (1) ·
 *   --log-level L (info) · --quiet-wait S (600: wait up to S s for the 1-minute load < 1.0
 *   before each run) · --cpu-prof (profile the server; summary in the results) · --no-record
 */
import { execFileSync } from 'node:child_process';
import { DEFAULT_DATABASE_URL, say, type BenchOptions } from './lib';
import { BENCHMARKS } from './benchmarks';

function parse(argv: string[]): BenchOptions {
  const name = argv.find((a) => !a.startsWith('--')) ?? '';
  const value = (flag: string, fallback: string): string => {
    const i = argv.indexOf(flag);
    return i >= 0 && argv[i + 1] !== undefined ? (argv[i + 1] as string) : fallback;
  };
  return {
    name,
    runs: Number(value('--runs', '3')),
    scale: Number(value('--scale', '1')),
    workers: Number(value('--workers', '1')),
    databaseUrl: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    logLevel: value('--log-level', 'info'),
    quietWaitS: Number(value('--quiet-wait', '600')),
    quietLoad: Number(value('--quiet-load', '1.0')),
    cpuProf: argv.includes('--cpu-prof'),
    record: !argv.includes('--no-record'),
  };
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  const bench = BENCHMARKS[options.name];
  if (!bench) {
    say(`usage: npm run bench -- <${Object.keys(BENCHMARKS).join('|')}> [--runs N] [--scale F] [--workers N] [--cpu-prof] [--no-record]`);
    process.exit(2);
  }
  if (bench.needsBuild) {
    say('building the server (tsc -b server)…');
    execFileSync('npx', ['tsc', '-b', 'server'], { stdio: 'inherit' });
  }
  await bench.run(options);
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
