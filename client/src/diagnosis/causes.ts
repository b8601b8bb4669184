// The causes a diagnosis can name, as data: a stable id, a title, and the fix with the command
// that verifies it. The ranking decides which apply and how sure it is.

export type CauseId =
  | 'upstream-refused'
  | 'fpm-down'
  | 'fpm-wrong-socket'
  | 'fpm-socket-permission'
  | 'fpm-saturated'
  | 'fpm-terminate-timeout'
  | 'backend-crash'
  | 'oom-killed'
  | 'upstream-timeout'
  | 'firewall-blocked'
  | 'selinux-denied'
  | 'dns-failure'
  | 'header-too-big'
  | 'upstream-tls'
  | 'invalid-upstream-response'
  | 'no-live-upstreams'
  | 'fd-exhausted'
  | 'ephemeral-ports'
  | 'server-overload'
  | 'ipv6-localhost';

export interface CauseInfo {
  title: string;
  /** What to change, in general terms (findings add file and line). */
  fix: string;
  /** A command that shows the cause is gone. */
  verify: string;
}

export const CAUSES: Record<CauseId, CauseInfo> = {
  'upstream-refused': {
    title: 'The backend refuses connections (nothing listens on its port)',
    fix: 'Start the backend, or point proxy_pass/fastcgi_pass at the port it really listens on.',
    verify: 'ss -ltn; curl -sS -o /dev/null -w "%{http_code}\\n" http://HOST:PORT/',
  },
  'fpm-down': {
    title: 'PHP-FPM is not running (its socket is missing or stale)',
    fix: 'Start PHP-FPM and find why it stopped: `journalctl -u php*-fpm -n 50`, its error log, the kernel log (OOM).',
    verify: 'systemctl status "php*-fpm*"; ls -l SOCKET',
  },
  'fpm-wrong-socket': {
    title: 'nginx connects to a socket PHP-FPM does not create',
    fix: 'Make fastcgi_pass and the pool\'s listen name the same socket (a PHP version upgrade renames it).',
    verify: 'nginx -t && grep -r "^listen" /etc/php/*/fpm/pool.d/',
  },
  'fpm-socket-permission': {
    title: 'nginx may not connect to the PHP-FPM socket (permission denied)',
    fix: 'Set listen.owner/listen.group to nginx\'s user (mode 0660) or add it to listen.acl_users, then restart PHP-FPM.',
    verify: 'stat -c "%U:%G %a" SOCKET; id NGINX_USER',
  },
  'fpm-saturated': {
    title: 'PHP-FPM is saturated: every worker busy, the listen queue full',
    fix: 'Raise pm.max_children (memory permitting), find slow requests (slowlog), raise listen.backlog.',
    verify: 'ss -lx | grep SOCKET  # Recv-Q well below Send-Q',
  },
  'fpm-terminate-timeout': {
    title: 'PHP-FPM kills slow requests (request_terminate_timeout) before nginx gives up',
    fix: 'Make request_terminate_timeout longer than fastcgi_read_timeout, or fix the slow script (slowlog).',
    verify: 'grep -E "execution timed out" PHP_FPM_LOG | tail',
  },
  'backend-crash': {
    title: 'The backend crashes or closes connections mid-request',
    fix: 'Find the crash: core dumps, the backend\'s own log, disabling suspect extensions (opcache, xdebug).',
    verify: 'grep -E "exited on signal|segfault" PHP_FPM_LOG /var/log/kern.log | tail',
  },
  'oom-killed': {
    title: 'The kernel\'s OOM killer kills backend processes',
    fix: 'Lower pm.max_children to what memory holds, recycle workers (pm.max_requests), add memory or swap.',
    verify: 'dmesg -T | grep -i "killed process" | tail',
  },
  'upstream-timeout': {
    title: 'The backend is too slow: nginx times out (504)',
    fix: 'Find the slow requests; raise proxy/fastcgi_read_timeout only if the slowness is expected.',
    verify: 'grep "upstream timed out" ERROR_LOG | tail',
  },
  'firewall-blocked': {
    title: 'A firewall blocks nginx from the backend (timeouts or no route)',
    fix: 'Allow the connection from this host to the backend port (firewalld/ufw/security group), or fix the route.',
    verify: 'timeout 3 bash -c "</dev/tcp/HOST/PORT" && echo open',
  },
  'selinux-denied': {
    title: 'SELinux denies nginx the connection',
    fix: 'setsebool -P httpd_can_network_connect 1 (TCP backends), or label the socket for httpd_t.',
    verify: 'getsebool httpd_can_network_connect; ausearch -m avc -c nginx --start recent',
  },
  'dns-failure': {
    title: 'A backend name does not resolve',
    fix: 'Fix the name or the DNS server; with a resolver directive, check it is reachable.',
    verify: 'getent ahosts NAME',
  },
  'header-too-big': {
    title: 'The backend sends response headers larger than nginx\'s buffer',
    fix: 'Raise proxy_buffer_size/fastcgi_buffer_size (16k or 32k), keeping *_busy_buffers_size consistent.',
    verify: 'nginx -t && curl -sI URL',
  },
  'upstream-tls': {
    title: 'TLS to the backend fails',
    fix: 'Match the scheme to the port (https vs http), send SNI (proxy_ssl_server_name on), trust the CA.',
    verify: 'openssl s_client -connect HOST:PORT -servername NAME </dev/null',
  },
  'invalid-upstream-response': {
    title: 'The backend sends responses nginx cannot parse',
    fix: 'Fix the backend\'s response (headers, status line), or the protocol (http vs fastcgi vs uwsgi).',
    verify: 'curl -sv http://HOST:PORT/ -o /dev/null',
  },
  'no-live-upstreams': {
    title: 'Every server of an upstream group is marked failed',
    fix: 'Fix the backends (see the cause above it); tune max_fails/fail_timeout.',
    verify: 'grep "no live upstreams" ERROR_LOG | tail',
  },
  'fd-exhausted': {
    title: 'nginx runs out of file descriptors or connections',
    fix: 'Raise worker_rlimit_nofile (and LimitNOFILE in the unit) to at least 2 x worker_connections.',
    verify: 'cat /proc/$(pgrep -f "nginx: worker" | head -1)/limits | grep "open files"',
  },
  'ephemeral-ports': {
    title: 'The host runs out of ephemeral ports to connect to backends',
    fix: 'Use keepalive to upstreams, widen net.ipv4.ip_local_port_range.',
    verify: 'ss -Htan state time-wait | wc -l; sysctl net.ipv4.ip_local_port_range',
  },
  'server-overload': {
    title: 'The server is overloaded (CPU, memory, I/O or network queues)',
    fix: 'Find what consumes the resource; add capacity or limit concurrency (pm.max_children, limit_req).',
    verify: 'cat /proc/loadavg /proc/pressure/*; free -m',
  },
  'ipv6-localhost': {
    title: '"localhost" resolves to ::1, where the backend does not listen',
    fix: 'Use 127.0.0.1 instead of localhost in proxy_pass/fastcgi_pass, or make the backend listen on ::1 too.',
    verify: 'ss -ltn | grep PORT',
  },
};

/** Static rule ids and the cause each points to (low confidence alone). */
export const RULE_CAUSE: Record<string, CauseId> = {
  'fastcgi-socket-mismatch': 'fpm-wrong-socket',
  'fastcgi-socket-permission': 'fpm-socket-permission',
  'fpm-terminate-before-nginx': 'fpm-terminate-timeout',
  'fpm-pm-constraints': 'fpm-down',
  'fpm-max-children-low': 'fpm-saturated',
  'fpm-listen-backlog-low': 'fpm-saturated',
  'fpm-listen-allowed-clients': 'backend-crash',
  'fpm-max-requests-unbounded': 'oom-killed',
  'proxy-pass-static-dns': 'dns-failure',
  'proxy-pass-variable-no-resolver': 'dns-failure',
  'proxy-pass-localhost': 'ipv6-localhost',
  'upstream-keepalive-http10': 'backend-crash',
  'proxy-ssl-no-sni': 'upstream-tls',
  'header-buffer-small': 'header-too-big',
  'buffers-inconsistent': 'header-too-big',
  'worker-connections-over-rlimit': 'fd-exhausted',
  'read-timeout-short': 'upstream-timeout',
};
