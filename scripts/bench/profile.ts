/**
 * Condenses the V8 CPU profiles a server wrote (node --cpu-prof) into where the time went:
 * self time per function and per package (node_modules/<name>, our server code, node
 * internals, GC, idle), as shares of all samples.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function packageOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1] as string;
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const ours = /\/(server|shared)\/(?:dist|src)\/(.*)$/.exec(url);
  if (ours) return `${ours[1]}/${(ours[2] as string).split('/').slice(0, 2).join('/')}`;
  return path.basename(url);
}

export interface ProfileSummary {
  files: number;
  totalMs: number;
  byPackage: { name: string; pct: number }[];
  byFunction: { name: string; pct: number }[];
  /** inclusive time (the function and everything it called) of our own functions (server/, shared/) */
  ourFunctionsInclusive: { name: string; pct: number }[];
}

export function profileSummary(dir: string, top: number): ProfileSummary | null {
  if (!existsSync(dir)) return null;
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const byFn = new Map<string, number>();
  const byPkg = new Map<string, number>();
  let total = 0;
  const inclusive = new Map<string, number>();
  const nameOf = (n: ProfileNode): string => {
    const { functionName, url, lineNumber } = n.callFrame;
    return `${functionName || '(anonymous)'} ${url ? `${packageOf(url, functionName)}:${lineNumber + 1}` : ''}`.trim();
  };
  for (const f of files) {
    const p = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as CpuProfile;
    const nodes = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    p.samples.forEach((id, i) => {
      const dt = (p.timeDeltas[i] ?? 0) / 1000;
      const n = nodes.get(id);
      if (!n) return;
      const { functionName, url } = n.callFrame;
      const fn = nameOf(n);
      const onStack = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const frame = nodes.get(at) as ProfileNode;
        if (/\/(server|shared)\/(dist|src)\//.test(frame.callFrame.url)) onStack.add(nameOf(frame));
      }
      for (const name of onStack) inclusive.set(name, (inclusive.get(name) ?? 0) + dt);
      byFn.set(fn, (byFn.get(fn) ?? 0) + dt);
      const pkg = packageOf(url, functionName);
      byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + dt);
      total += dt;
    });
  }
  const rank = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, ms]) => ({ name, pct: Math.round((ms / total) * 1000) / 10 }));
  return { files: files.length, totalMs: Math.round(total), byPackage: rank(byPkg), byFunction: rank(byFn), ourFunctionsInclusive: rank(inclusive) };
}

/**
 * Profiles this process while `work` runs (V8's sampling profiler through the inspector, the
 * same data as `node --cpu-prof` but only for that window) and writes the profile into `dir`.
 */
export async function profileWhile<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `in-process-${Date.now()}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: tsx scripts/bench/profile.ts <dir with .cpuprofile files> [top]');
  process.stdout.write(JSON.stringify(profileSummary(dir, Number(process.argv[3] ?? 30)), null, 2) + '\n');
}
