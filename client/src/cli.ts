// The `ngx502` command line. Shares the engine of the language server.

import * as path from 'node:path';
import { runCheck } from './cli/check';
import { runDiagnose } from './cli/diagnose';

const USAGE = `Usage: ngx502 <command> [options]

Commands:
  check [PATH...]     Lint nginx and PHP-FPM configs (files or folders). Without a PATH,
                      checks the bundled sample configs.
    --format text|json|sarif   output format (default: text)
    --nginx-version V          nginx version the configs run on (e.g. 1.22.1): newer
                               directives are reported as unknown, as that nginx would
    --config-root DIR          nginx's prefix for relative includes (default: the folder
                               of the nearest nginx.conf above each file)
    --extra-directive NAME     accept a third-party directive (repeatable; NAME{} for a block)
    --fpm PATH                 also check this PHP-FPM file (php-fpm.conf, a pool file) or
                               folder of them, outside the given paths (repeatable)
    --no-color                 plain text output

  diagnose TARGET...  Find why nginx answers 502 on a host: read-only probes over SSH (or
                      locally), the logs of nginx, PHP-FPM and the kernel, ranked causes.
                      TARGET: local, a ~/.ssh/config alias, or [user@]host[:port].
    --since DURATION           log window (default 30m; 90s, 2h, 1d)
    --json                     JSON output
    --identity FILE            private key to try first (repeatable)
    --known-hosts FILE         known_hosts to check host keys against (default ~/.ssh/known_hosts)
    --accept-new-host-key      accept and record an unknown host key (a changed key is always refused)
    --sudo                     use sudo -n (never prompts) for probes that need root
    --concurrency N            commands at once per host (default 8; sshd allows 10)
    --log-bytes N              bytes read from the end of each log (default 2097152)

  help                Show this help.

Exit status (check): 0 no errors, 1 findings at error severity, 2 usage or I/O error.
Exit status (diagnose): 0 it ran, 2 a target could not be reached, authenticated or its host key was refused.
`;

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string[]>;
}

export function parseArgs(argv: readonly string[], valued: ReadonlySet<string>, bools: ReadonlySet<string>): ParsedArgs | string {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (bools.has(name)) {
        flags.set(name, ['true']);
        continue;
      }
      if (!valued.has(name)) return `unknown option --${name}`;
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) return `option --${name} needs a value`;
      flags.set(name, [...(flags.get(name) ?? []), value]);
      continue;
    }
    positional.push(a);
  }
  return { positional, flags };
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  if (command === 'check') {
    const args = parseArgs(rest, new Set(['format', 'nginx-version', 'config-root', 'extra-directive', 'fpm']), new Set(['no-color']));
    if (typeof args === 'string') {
      process.stderr.write(`ngx502 check: ${args}\n\n${USAGE}`);
      return 2;
    }
    const samples = path.join(__dirname, '..', '..', 'server', 'samples');
    return runCheck(args, samples);
  }
  if (command === 'diagnose') {
    const args = parseArgs(rest, new Set(['since', 'identity', 'known-hosts', 'concurrency', 'log-bytes']), new Set(['json', 'accept-new-host-key', 'sudo']));
    if (typeof args === 'string') {
      process.stderr.write(`ngx502 diagnose: ${args}\n\n${USAGE}`);
      return 2;
    }
    return runDiagnose(args);
  }
  process.stderr.write(`ngx502: unknown command "${command}"\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`ngx502: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
