#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine: the real programs the tests run
# against (nginx, PHP-FPM) and the npm packages. Safe to run again: it installs only what is
# missing. Services are never started here (tests start their own, on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
# The dynamic modules Debian builds (stream, mail, geoip, image filter, xslt, perl): the
# differential and directive-table tests check those contexts against real nginx too.
for m in stream mail http-geoip http-image-filter http-xslt-filter http-perl stream-geoip; do
  dpkg -s "libnginx-mod-$m" >/dev/null 2>&1 || need+=("libnginx-mod-$m")
done
ls /usr/sbin/php-fpm* >/dev/null 2>&1 || need+=(php-fpm)
# The SSH transport tests start their own sshd (test/lab/sshd.ts); ssh-keygen/ssh-agent come with it.
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing Debian packages: ${need[*]} (run as root, or install them: apt-get install ${need[*]})" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# The end-to-end tests' real VS Code: code-server from npm on Node 24 (cached under ~/.cache,
# keyed by version) and Debian's chromium. NGX502_E2E=0 skips it (and the e2e run).
if [ "${NGX502_E2E:-1}" != 0 ]; then
  bash test/e2e/install-code-server.sh >/dev/null
fi
