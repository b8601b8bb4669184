// `ngx502 diagnose TARGET...`: connects (SSH or local), runs the read-only probes, ranks the
// causes of the 502s. Several targets run at once; causes common to several hosts are summed up.

import * as readline from 'node:readline';
import type { ParsedArgs } from '../cli';
import { diagnose, type Diagnosis } from '../diagnosis/diagnose';
import { connectLocal } from '../remote/local';
import { connectSsh, type NewHostKeyInfo } from '../remote/ssh';
import { isRemoteError } from '../remote/errors';
import type { Transport } from '../remote/transport';
import { sampleLine } from '../diagnosis/logs/evidence';

export function parseDuration(s: string): number | undefined {
  const m = /^(\d+)\s*(s|m|h|d)?$/.exec(s.trim());
  if (!m) return undefined;
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'm') as 's' | 'm' | 'h' | 'd'];
}

/** Asks on the terminal without echo (passwords, passphrases); undefined when there is no terminal. */
function askHidden(question: string): Promise<string | undefined> {
  if (!process.stdin.isTTY) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const out = rl as unknown as { _writeToOutput: (s: string) => void };
    let asked = false;
    out._writeToOutput = (s: string) => {
      if (!asked) {
        process.stderr.write(s);
        asked = true;
      }
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

interface TargetResult {
  target: string;
  ok: boolean;
  diagnosis?: Diagnosis;
  error?: string;
}

export async function runDiagnose(args: ParsedArgs): Promise<number> {
  const targets = args.positional;
  if (targets.length === 0) {
    process.stderr.write('ngx502 diagnose: give at least one TARGET: local, a ~/.ssh/config alias, or [user@]host[:port]\n');
    return 2;
  }
  const since = parseDuration(args.flags.get('since')?.at(-1) ?? '30m');
  if (since === undefined) {
    process.stderr.write('ngx502 diagnose: --since takes a duration like 30m, 2h, 90s\n');
    return 2;
  }
  const concurrency = Number(args.flags.get('concurrency')?.at(-1) ?? 8);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    process.stderr.write('ngx502 diagnose: --concurrency takes a number from 1 to 64\n');
    return 2;
  }
  const json = args.flags.has('json');
  const sudo = args.flags.has('sudo');
  const accept = args.flags.has('accept-new-host-key');
  const identity = args.flags.get('identity') ?? [];
  const knownHosts = args.flags.get('known-hosts')?.at(-1);
  const logBytes = args.flags.has('log-bytes') ? Number(args.flags.get('log-bytes')!.at(-1)) : undefined;
  const progress = (target: string, stage: string) => {
    if (!json || process.stderr.isTTY) process.stderr.write(`[${target}] ${stage}\n`);
    else process.stderr.write(`[${target}] ${stage}\n`);
  };

  const one = async (target: string): Promise<TargetResult> => {
    let t: Transport | undefined;
    try {
      progress(target, target === 'local' ? 'running locally' : 'connecting');
      t =
        target === 'local'
          ? connectLocal({ concurrency })
          : await connectSsh({
              target,
              identityFiles: identity,
              knownHostsFile: knownHosts,
              concurrency,
              acceptNewHostKey: accept ? (info: NewHostKeyInfo) => {
                progress(target, `accepting new host key ${info.keyType} ${info.fingerprint} for ${info.knownHostsName} (recorded in ${info.file ?? 'known_hosts'})`);
                return true;
              } : false,
              passphrase: (file) => askHidden(`Passphrase for ${file}: `),
              password: ({ user, host }) => askHidden(`${user}@${host}'s password: `),
            });
      const d = await diagnose(t, { sinceMs: since, sudo, logBytes, onStage: (s) => progress(target, s) });
      return { target, ok: true, diagnosis: d };
    } catch (e) {
      const msg = isRemoteError(e) ? e.message : e instanceof Error ? e.message : String(e);
      return { target, ok: false, error: msg };
    } finally {
      await t?.close().catch(() => undefined);
    }
  };

  const results = await Promise.all(targets.map(one));
  if (json) {
    process.stdout.write(
      JSON.stringify(
        {
          targets: results.map((r) => (r.diagnosis ? { ...r.diagnosis } : { target: r.target, error: r.error, durationMs: 0, causes: [], probes: [], findings: [] })),
          ...(results.length > 1 ? { common: commonCauses(results) } : {}),
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    for (const r of results) process.stdout.write(r.diagnosis ? formatDiagnosis(r.diagnosis) : `== ${r.target}: could not diagnose: ${r.error}\n\n`);
    if (results.length > 1) {
      const common = commonCauses(results);
      process.stdout.write(common.length ? `Causes common to several hosts:\n${common.map((c) => `  ${c.id}: ${c.targets.join(', ')}`).join('\n')}\n` : 'No cause is common to several hosts.\n');
    }
  }
  // Transport errors already start with the target they name: not twice.
  for (const r of results) if (!r.ok) process.stderr.write(`ngx502 diagnose: ${r.error?.startsWith(`${r.target}: `) ? r.error : `${r.target}: ${r.error}`}\n`);
  return results.some((r) => !r.ok) ? 2 : 0;
}

function commonCauses(results: TargetResult[]): { id: string; targets: string[] }[] {
  const by = new Map<string, string[]>();
  for (const r of results) for (const c of r.diagnosis?.causes ?? []) if (c.confidence !== 'low') by.set(c.id, [...(by.get(c.id) ?? []), r.target]);
  return [...by].filter(([, t]) => t.length > 1).map(([id, targets]) => ({ id, targets }));
}

export function formatDiagnosis(d: Diagnosis): string {
  const lines: string[] = [];
  lines.push(`== ${d.target}: nginx ${d.host.nginxVersion ?? '(not found)'}, config from ${d.host.configSource} (${d.host.configFiles} files), ${d.host.fpmFiles} PHP-FPM files, ${d.durationMs} ms`);
  if (d.access) lines.push(`   access log: ${d.access.total} requests in the window, ${d.access.s502} x 502, ${d.access.s504} x 504, ${d.access.s5xx} x 5xx`);
  if (d.causes.length === 0) lines.push('   No cause of a 502 found.');
  d.causes.forEach((c, i) => {
    lines.push('');
    lines.push(`${i + 1}. [${c.confidence}, ${c.score}] ${c.title}  (${c.id})`);
    for (const e of c.evidence.slice(0, 6)) {
      lines.push(`   - ${e.source}: ${sampleLine(e.summary)}${e.file ? ` [${e.file}${e.line ? ':' + e.line : ''}]` : ''}${e.lastSeen ? ` (last ${e.lastSeen})` : ''}`);
      for (const s of e.samples.slice(0, 2)) lines.push(`       ${sampleLine(s, 200)}`);
    }
    for (const f of c.fixes.slice(0, 4)) lines.push(`   fix: ${f.what}${f.file ? ` (${f.file}${f.line ? ':' + f.line : ''})` : ''}\n        verify: ${f.verify}`);
  });
  const bad = d.probes.filter((p) => p.status !== 'ok');
  if (bad.length) lines.push('', `   not seen: ${bad.map((p) => `${p.id} (${p.status}${p.note ? `: ${sampleLine(p.note, 80)}` : ''})`).join('; ')}`);
  for (const n of d.notes) lines.push(`   note: ${sampleLine(n, 300)}`);
  return lines.join('\n') + '\n\n';
}
