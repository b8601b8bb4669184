// The PHP-FPM configuration keys as data: the section each belongs to, how php-fpm reads its
// value (the parser function of php-src sapi/fpm/fpm/fpm_conf.c: ini_fpm_global_options and
// ini_fpm_pool_options), its default (as `php-fpm -tt` prints it for PHP 8.2 on Linux) and a
// paragraph of documentation after the PHP manual's FPM configuration page
// (https://www.php.net/manual/en/install.fpm.configuration.php) and the comments of php-src's
// php-fpm.conf.in / www.conf.in.

export type FpmSection = 'global' | 'pool';

/** How php-fpm parses the value (fpm_conf_set_*). */
export type FpmParser = 'string' | 'integer' | 'time' | 'boolean' | 'log_level' | 'syslog_facility' | 'rlimit_core' | 'pm';

export interface FpmKey {
  name: string;
  section: FpmSection;
  parser: FpmParser;
  /** Type as shown to people (hover, completion detail). */
  type: string;
  /** Default as shown to people. */
  default: string;
  /** Fixed values, for completion and hover. */
  values?: readonly string[];
  doc: string;
  /** PHP version that added the key (omitted: older than 7.0). */
  since?: string;
  /** Set when the key exists only in some builds (not in PHP 8.2 on Linux): php-fpm there rejects it as unknown. */
  unsupported?: string;
  /** `name[...]` keys. */
  array?: boolean;
  /** Keys php-fpm refuses to start without (in every pool, or in dynamic pools). */
  mandatory?: string;
}

const TIME = 'time (seconds; suffixes s, m, h, d)';
const BOOL = 'boolean (yes/no, on/off, true/false, 1/0)';
const BOOLS = ['yes', 'no'] as const;

const GLOBAL: Omit<FpmKey, 'section'>[] = [
  {
    name: 'pid', parser: 'string', type: 'path', default: 'none',
    doc: 'Path of the PID file of the master process. A relative path is taken relative to the local state folder (/var on Debian). Service managers read it to find the master process, so it must match the PIDFile= of the systemd unit when one is set.',
  },
  {
    name: 'error_log', parser: 'string', type: 'path or `syslog`', default: 'log/php-fpm.log (relative to /var)',
    doc: 'Where the master process writes its log (start-up errors, children that exit, slow requests, `catch_workers_output` lines). A relative path is taken relative to the local state folder; the special value `syslog` sends the log to syslogd instead. php-fpm must be able to open the file at start, `php-fpm -t` included.',
  },
  {
    name: 'syslog.ident', parser: 'string', type: 'string', default: 'php-fpm',
    doc: 'The tag put in front of every syslog message when `error_log = syslog`. Give each FPM instance its own tag when several run on one host.',
  },
  {
    name: 'syslog.facility', parser: 'syslog_facility', type: 'syslog facility', default: 'daemon',
    values: ['daemon', 'user', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7', 'auth', 'authpriv', 'cron', 'ftp', 'kern', 'lpr', 'mail', 'news', 'syslog', 'uucp'],
    doc: 'The syslog facility of the messages when `error_log = syslog`, written as a name such as `daemon` or `local0` (not `LOG_DAEMON`: that bare word is a PHP constant and reads as the number 24, which php-fpm rejects).',
  },
  {
    name: 'log_buffering', parser: 'boolean', type: BOOL, default: 'yes', values: BOOLS, since: '7.3',
    doc: 'Experimental: when on (the default) each log line is assembled in a buffer and written in one operation; off writes the pieces directly to the file descriptor. Ignored for syslog.',
  },
  {
    name: 'log_level', parser: 'log_level', type: 'log level', default: 'notice', values: ['alert', 'error', 'warning', 'notice', 'debug'],
    doc: 'The least severe message the master process logs: `alert`, `error`, `warning` (or `warn`), `notice` or `debug`.',
  },
  {
    name: 'log_limit', parser: 'integer', type: 'integer (characters, at least 512)', default: '1024', since: '7.3',
    doc: 'The longest log line, in characters including prefix and suffix; longer messages (for example workers\' output) are wrapped over several lines. php-fpm refuses values below 512.',
  },
  {
    name: 'emergency_restart_threshold', parser: 'integer', type: 'integer', default: '0 (off)',
    doc: 'When this many children exit with SIGSEGV or SIGBUS within `emergency_restart_interval`, the master restarts gracefully (a work-around for corrupted shared memory in opcode caches). 0 turns the check off.',
  },
  {
    name: 'emergency_restart_interval', parser: 'time', type: TIME, default: '0 (off)',
    doc: 'The time window `emergency_restart_threshold` counts crashing children in.',
  },
  {
    name: 'process_control_timeout', parser: 'time', type: TIME, default: '0 (no limit)',
    doc: 'How long children get to react to a signal from the master (a graceful reload or stop) before they are killed. With 0 a reload waits for every running request to finish.',
  },
  {
    name: 'process.max', parser: 'integer', type: 'integer', default: '0 (no limit)',
    doc: 'The most processes the master forks across all pools; useful with many dynamic pools on one host. 0 means no limit; negative values are refused.',
  },
  {
    name: 'process.priority', parser: 'integer', type: 'integer from -19 to 20', default: 'not set',
    doc: 'The nice(2) priority of the master process, from -19 (highest) to 20 (lowest). Works only when the master starts as root; pools inherit it unless they set their own. php-fpm refuses values outside -19..20.',
  },
  {
    name: 'daemonize', parser: 'boolean', type: BOOL, default: 'yes', values: BOOLS,
    doc: 'Whether the master forks into the background. Set `no` when a supervisor (systemd with Type=notify, Docker, runit) keeps it in the foreground.',
  },
  {
    name: 'rlimit_files', parser: 'integer', type: 'integer', default: 'system default',
    doc: 'The open-file-descriptor limit (RLIMIT_NOFILE) of the master process.',
  },
  {
    name: 'rlimit_core', parser: 'rlimit_core', type: 'integer or `unlimited`', default: 'system default', values: ['unlimited', '0'],
    doc: 'The largest core dump (RLIMIT_CORE) of the master process, as a number or `unlimited`.',
  },
  {
    name: 'events.mechanism', parser: 'string', type: 'event mechanism', default: 'auto (epoll on Linux)', values: ['epoll', 'poll', 'select'], since: '5.6',
    doc: 'The event mechanism the master uses: `epoll` on Linux, `kqueue` on the BSDs, `/dev/poll` or `port` on Solaris, `poll` or `select` anywhere. A mechanism this build lacks stops the start ("event mechanism \'kqueue\' is not available on this system"); `pm = ondemand` needs epoll or kqueue.',
  },
  {
    name: 'systemd_interval', parser: 'time', type: TIME, default: '10s',
    doc: 'With systemd integration (Type=notify), how often the master reports its health to systemd; 0 turns the reports off.',
  },
];

const POOL: Omit<FpmKey, 'section'>[] = [
  {
    name: 'prefix', parser: 'string', type: 'path', default: 'the global prefix (-p, else /usr)',
    doc: 'A folder that relative paths of this pool (`listen` for a unix socket, `access.log`, `slowlog`, `chroot`, `chdir`, and path-like `php_value`s) are taken relative to. It must exist. Without it, relative paths are taken relative to the global prefix: the `-p` option, else /usr.',
  },
  {
    name: 'user', parser: 'string', type: 'user name or uid', default: 'the user of the master process', mandatory: 'when the master runs as root',
    doc: 'The Unix user the pool\'s children run as. When the master starts as root (the usual service setup) this key is mandatory: without it php-fpm refuses to start ("[pool www] user has not been defined"); `root` itself needs `--allow-to-run-as-root`.',
  },
  {
    name: 'group', parser: 'string', type: 'group name or gid', default: 'the primary group of `user`',
    doc: 'The Unix group the pool\'s children run as. Without it the primary group of `user` is used.',
  },
  {
    name: 'listen', parser: 'string', type: 'address', default: 'none', mandatory: 'always',
    doc: 'Where the pool accepts FastCGI connections: `/path/to/socket` for a unix socket, `port` for TCP on all addresses, `ip.add.re.ss:port`, or `[ipv6::addr]:port`. Mandatory in every pool, and no two pools may share an address. nginx\'s `fastcgi_pass` must name exactly this address (`unix:/path` for a socket).',
  },
  {
    name: 'listen.backlog', parser: 'integer', type: 'integer', default: '-1 (the kernel maximum, net.core.somaxconn)',
    doc: 'The listen(2) backlog: how many connections may wait for a free child before the kernel refuses new ones, which nginx reports as a 502 ("connect() ... failed (11: Resource temporarily unavailable)" on a unix socket). The default -1 means the kernel maximum (the PHP manual\'s 511 is outdated for Linux builds).',
  },
  {
    name: 'listen.acl_users', parser: 'string', type: 'comma-separated user names', default: 'not set',
    doc: 'Users given read/write access to the unix socket through a POSIX ACL. When set (or `listen.acl_groups`), `listen.owner` and `listen.group` are ignored.',
  },
  {
    name: 'listen.acl_groups', parser: 'string', type: 'comma-separated group names', default: 'not set',
    doc: 'Groups given read/write access to the unix socket through a POSIX ACL. See `listen.acl_users`.',
  },
  {
    name: 'listen.owner', parser: 'string', type: 'user name or uid', default: 'the user of the master process',
    doc: 'The owner of the unix socket. On Linux the web server needs read and write permission on the socket to connect, so owner, group and mode together decide whether nginx\'s `user` can reach the pool (a 502 with "connect() ... failed (13: Permission denied)" otherwise).',
  },
  {
    name: 'listen.group', parser: 'string', type: 'group name or gid', default: 'the group of the owner',
    doc: 'The group of the unix socket; see `listen.owner`. Typically the web server\'s group (www-data, nginx) with `listen.mode = 0660`.',
  },
  {
    name: 'listen.mode', parser: 'string', type: 'octal mode', default: '0660',
    doc: 'The permission bits of the unix socket, in octal (`0660`). Read and write for the web server\'s user or group are what matter.',
  },
  {
    name: 'listen.allowed_clients', parser: 'string', type: 'comma-separated IP addresses', default: 'any',
    doc: 'For a TCP `listen`, the IPv4/IPv6 addresses of the FastCGI clients allowed to connect (like FCGI_WEB_SERVER_ADDRS); other clients are dropped, which nginx reports as a 502. Empty or unset accepts any address. Meaningless for unix sockets.',
  },
  {
    name: 'listen.setfib', parser: 'integer', type: 'integer', default: '-1', unsupported: 'FreeBSD only',
    doc: 'FreeBSD only: the routing table (FIB) of the listening socket. Other builds reject the key ("unknown entry \'listen.setfib\'").',
  },
  {
    name: 'process.priority', parser: 'integer', type: 'integer from -19 to 20', default: 'not set (inherits the master\'s)',
    doc: 'The nice(2) priority of the pool\'s children, from -19 (highest) to 20 (lowest); needs a master started as root. php-fpm refuses values outside -19..20.',
  },
  {
    name: 'process.dumpable', parser: 'boolean', type: BOOL, default: 'no', values: BOOLS, since: '7.0.29',
    doc: 'Sets the dumpable flag (PR_SET_DUMPABLE) on children even when they run as another user than the master, so the pool user can take core dumps or ptrace them.',
  },
  {
    name: 'pm', parser: 'pm', type: 'process manager', default: 'none', values: ['static', 'dynamic', 'ondemand'], mandatory: 'always',
    doc: 'How the number of children is managed: `static` keeps `pm.max_children` running; `dynamic` keeps between `pm.min_spare_servers` and `pm.max_spare_servers` idle children, starting `pm.start_servers` and never more than `pm.max_children`; `ondemand` forks children when requests arrive and stops them after `pm.process_idle_timeout`. Mandatory.',
  },
  {
    name: 'pm.max_children', parser: 'integer', type: 'positive integer', default: 'none', mandatory: 'always',
    doc: 'The most children alive at once, so the most requests served at the same time; further requests wait in the listen backlog and nginx answers 502/504 when that overflows or times out. Size it from memory: (RAM for PHP) / (memory per child). Mandatory and at least 1.',
  },
  {
    name: 'pm.start_servers', parser: 'integer', type: 'integer', default: 'min_spare_servers + (max_spare_servers - min_spare_servers) / 2',
    doc: 'With `pm = dynamic`, the number of children created at start. It must lie between `pm.min_spare_servers` and `pm.max_spare_servers`; 0 or unset means the midpoint of the two.',
  },
  {
    name: 'pm.min_spare_servers', parser: 'integer', type: 'positive integer', default: 'none', mandatory: 'with pm = dynamic',
    doc: 'With `pm = dynamic`, the fewest idle children: when fewer are idle, more are forked. Mandatory for dynamic pools, at least 1 and at most `pm.max_spare_servers`.',
  },
  {
    name: 'pm.max_spare_servers', parser: 'integer', type: 'positive integer', default: 'none', mandatory: 'with pm = dynamic',
    doc: 'With `pm = dynamic`, the most idle children: when more are idle, some are stopped. Mandatory for dynamic pools, at least `pm.min_spare_servers` and at most `pm.max_children`.',
  },
  {
    name: 'pm.max_spawn_rate', parser: 'integer', type: 'positive integer', default: '32', since: '8.1',
    doc: 'With `pm = dynamic`, the most children forked at once when more idle children are needed. Must be at least 1.',
  },
  {
    name: 'pm.process_idle_timeout', parser: 'time', type: TIME, default: '10s',
    doc: 'With `pm = ondemand`, how long a child may stay idle before it is stopped. Must be more than 0.',
  },
  {
    name: 'pm.max_requests', parser: 'integer', type: 'integer', default: '0 (never respawn)',
    doc: 'How many requests a child serves before it is replaced by a fresh one, a guard against memory leaks in extensions and applications. 0 means never: leaking children then grow until the host runs out of memory.',
  },
  {
    name: 'pm.status_path', parser: 'string', type: 'URI path', default: 'not set',
    doc: 'The URI of the FPM status page (pool, process manager, accepted connections, listen queue, idle/active processes, "max children reached"; add `?full`, `?json`, `?html` or `?xml`). It must start with `/` and contain only letters, digits and `/ _ - . ~`. nginx must pass the request to the pool for it to answer.',
  },
  {
    name: 'pm.status_listen', parser: 'string', type: 'address', default: 'the pool\'s listen', since: '8.0',
    doc: 'A separate address for the status page, served by a hidden pool of its own, so the status stays reachable when every child of the pool is busy. It must differ from every pool\'s `listen`.',
  },
  {
    name: 'ping.path', parser: 'string', type: 'URI path', default: 'not set',
    doc: 'The URI of a ping page that answers `ping.response` with HTTP 200, for health checks from load balancers or monitoring. Same character rules as `pm.status_path`.',
  },
  {
    name: 'ping.response', parser: 'string', type: 'string', default: 'pong',
    doc: 'The body of the ping page; must not be empty when `ping.path` is set.',
  },
  {
    name: 'access.log', parser: 'string', type: 'path', default: 'not set',
    doc: 'A per-pool access log of the requests the children served (relative to the pool prefix when relative). php-fpm opens it at start.',
  },
  {
    name: 'access.format', parser: 'string', type: 'format', default: '"%R - %u %t \\"%m %r\\" %s"',
    doc: 'The format of `access.log` lines: `%R` client address, `%u` remote user, `%t`/`%T` times (`%{strftime}t`), `%m` method, `%r` URI, `%q`/`%Q` query string, `%s` status, `%f` script, `%d` duration (`%{seconds|milli|micro}d`), `%M` peak memory (`%{bytes|kilo|mega}M`), `%C` CPU (`%{total|user|system}C`), `%e`/`%o` an environment variable or response header in braces, `%n` pool, `%p`/`%P` PIDs, `%l` content length, `%%`. An invalid token fails the start when `access.log` is set.',
  },
  {
    name: 'slowlog', parser: 'string', type: 'path', default: 'not set',
    doc: 'The file PHP backtraces of slow requests are written to (see `request_slowlog_timeout`); mandatory when that timeout is set.',
  },
  {
    name: 'request_slowlog_timeout', parser: 'time', type: TIME, default: '0 (off)',
    doc: 'After this long a request\'s PHP backtrace is dumped to `slowlog`; 0 is off. Needs `slowlog`, and must not exceed a non-zero `request_terminate_timeout`.',
  },
  {
    name: 'request_slowlog_trace_depth', parser: 'integer', type: 'positive integer', default: '20', since: '7.2',
    doc: 'How many frames of the backtrace the slow log keeps. Setting it needs `slowlog`.',
  },
  {
    name: 'request_terminate_timeout', parser: 'time', type: TIME, default: '0 (off)',
    doc: 'After this long a request\'s child is killed, for scripts that `max_execution_time` does not stop (it does not count time in sleep, I/O or external calls). nginx then reads a closed connection and answers 502 ("upstream prematurely closed FastCGI stdout"), so keep it longer than nginx\'s `fastcgi_read_timeout` if a 504 is preferred. 0 is off.',
  },
  {
    name: 'request_terminate_timeout_track_finished', parser: 'boolean', type: BOOL, default: 'no', values: BOOLS, since: '7.3',
    doc: 'Applies `request_terminate_timeout` also after `fastcgi_finish_request()` and while shutdown functions run.',
  },
  {
    name: 'rlimit_files', parser: 'integer', type: 'integer', default: 'system default',
    doc: 'The open-file-descriptor limit (RLIMIT_NOFILE) of the pool\'s children.',
  },
  {
    name: 'rlimit_core', parser: 'rlimit_core', type: 'integer or `unlimited`', default: 'system default', values: ['unlimited', '0'],
    doc: 'The largest core dump (RLIMIT_CORE) of the pool\'s children, as a number or `unlimited`.',
  },
  {
    name: 'chroot', parser: 'string', type: 'absolute path', default: 'not set',
    doc: 'A folder the children chroot into at start (`$prefix` may start it). The folder must exist; `SCRIPT_FILENAME` from nginx is then resolved inside it, a common cause of "Primary script unknown".',
  },
  {
    name: 'chdir', parser: 'string', type: 'path', default: '/ (or the chroot)',
    doc: 'The working folder of the children (inside the chroot when one is set). It must exist.',
  },
  {
    name: 'catch_workers_output', parser: 'boolean', type: BOOL, default: 'no', values: BOOLS,
    doc: 'Sends the children\'s stdout and stderr to the master\'s `error_log` instead of /dev/null.',
  },
  {
    name: 'decorate_workers_output', parser: 'boolean', type: BOOL, default: 'yes', values: BOOLS, since: '7.3',
    doc: 'With `catch_workers_output`, prefixes each captured line with the child, stream, level and time; `no` logs the output as written.',
  },
  {
    name: 'clear_env', parser: 'boolean', type: BOOL, default: 'yes', values: BOOLS,
    doc: 'Clears the environment of the children before the `env[...]` entries are added. `no` passes the master\'s whole environment to PHP (`getenv()`, `$_ENV`, `$_SERVER`).',
  },
  {
    name: 'security.limit_extensions', parser: 'string', type: 'space-separated extensions', default: '.php .phar',
    doc: 'The only extensions of the main script the pool will execute; others get "Access denied." (a 403). An empty value allows every extension, which lets a misrouted upload run as PHP.',
  },
  {
    name: 'apparmor_hat', parser: 'string', type: 'string', default: 'not set',
    doc: 'The AppArmor hat the children change to, when the build has AppArmor support (Debian\'s does).',
  },
];

const ARRAYS: Omit<FpmKey, 'section'>[] = [
  {
    name: 'php_value', parser: 'string', type: 'php.ini value', default: 'php.ini', array: true,
    doc: '`php_value[name] = value` sets a php.ini directive for the pool; PHP code can change it again with `ini_set()`. Relative paths of path directives are taken relative to the pool prefix.',
  },
  {
    name: 'php_flag', parser: 'boolean', type: BOOL, default: 'php.ini', array: true, values: ['on', 'off'],
    doc: '`php_flag[name] = on|off` sets a boolean php.ini directive for the pool; the value must be a boolean or php-fpm refuses to start.',
  },
  {
    name: 'php_admin_value', parser: 'string', type: 'php.ini value', default: 'php.ini', array: true,
    doc: '`php_admin_value[name] = value` sets a php.ini directive for the pool that PHP code cannot override with `ini_set()`. `extension` loads an extension; `disable_functions` and `disable_classes` add to php.ini\'s list.',
  },
  {
    name: 'php_admin_flag', parser: 'boolean', type: BOOL, default: 'php.ini', array: true, values: ['on', 'off'],
    doc: '`php_admin_flag[name] = on|off` sets a boolean php.ini directive that PHP code cannot override.',
  },
  {
    name: 'env', parser: 'string', type: 'string', default: 'none (see clear_env)', array: true,
    doc: '`env[NAME] = value` sets an environment variable for the children; `$NAME` as the value copies it from the master\'s environment. The value must not be empty.',
  },
  {
    name: 'access.suppress_path', parser: 'string', type: 'URI path', default: 'not set', array: true, since: '8.2',
    doc: '`access.suppress_path[] = /ping` leaves successful requests to this URI (as `%r` prints it) out of `access.log`. The key between the brackets must stay empty and the value must start with `/`.',
  },
];

const all: FpmKey[] = [
  ...GLOBAL.map((k) => ({ ...k, section: 'global' as const })),
  ...POOL.map((k) => ({ ...k, section: 'pool' as const })),
  ...ARRAYS.map((k) => ({ ...k, section: 'pool' as const })),
];

export const FPM_KEYS: readonly FpmKey[] = all;

const bySection: Record<FpmSection, Map<string, FpmKey>> = { global: new Map(), pool: new Map() };
for (const k of all) if (!k.array) bySection[k.section].set(k.name, k);
const arrays = new Map(all.filter((k) => k.array).map((k) => [k.name, k]));

/** A plain key in a section, matched case-insensitively as php-fpm does (strcasecmp). */
export function fpmKey(section: FpmSection, name: string): FpmKey | undefined {
  return bySection[section].get(name.toLowerCase());
}

/** A `name[...]` key, matched case-sensitively as php-fpm does. */
export function fpmArrayKey(name: string): FpmKey | undefined {
  return arrays.get(name);
}

export function fpmKeysIn(section: FpmSection): FpmKey[] {
  return all.filter((k) => k.section === section);
}

/** The `include` entry, valid in every section. */
export const INCLUDE_DOC =
  '`include = pattern` reads more configuration files, matched by a glob(3) pattern, at this point: keys before the first section of an included file continue the section open here. A relative pattern is taken relative to the prefix (the `-p` option, else /usr), not to this file\'s folder. A pattern that matches nothing is only a warning, but a folder in it that does not exist fails the start ("Unable to globalize"). At most 5 files may be nested.';

/** Common php.ini directives for completion inside `php_value[...]` and the kind of value each takes. */
export const PHP_INI_DIRECTIVES: Record<string, 'size' | 'integer' | 'boolean' | 'string' | 'path'> = {
  memory_limit: 'size',
  upload_max_filesize: 'size',
  post_max_size: 'size',
  max_execution_time: 'integer',
  max_input_time: 'integer',
  max_input_vars: 'integer',
  max_file_uploads: 'integer',
  display_errors: 'boolean',
  display_startup_errors: 'boolean',
  log_errors: 'boolean',
  error_log: 'path',
  error_reporting: 'string',
  'date.timezone': 'string',
  'session.save_handler': 'string',
  'session.save_path': 'path',
  'session.gc_maxlifetime': 'integer',
  upload_tmp_dir: 'path',
  sys_temp_dir: 'path',
  open_basedir: 'string',
  disable_functions: 'string',
  sendmail_path: 'string',
  short_open_tag: 'boolean',
  expose_php: 'boolean',
  allow_url_fopen: 'boolean',
  'opcache.enable': 'boolean',
  'opcache.memory_consumption': 'integer',
  'opcache.validate_timestamps': 'boolean',
  'realpath_cache_size': 'size',
  'output_buffering': 'string',
  'default_socket_timeout': 'integer',
};
