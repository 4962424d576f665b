#!/usr/bin/env bash
# Installs the third-party clients the end-to-end tests drive (Debian packages):
#   logger (bsdutils), setpriv (util-linux), python3, rsyslogd (rsyslog), promtool (prometheus), socat, openssl (test certificates),
#   docker-compose (only `docker-compose config` checks deploy/docker-compose.yml; no engine runs),
#   rsyslog's TLS stream driver (rsyslog-openssl: the ossl driver, for syslog over TLS),
#   MaxMind's DB writer for Perl (libmaxmind-db-writer-perl: writes the test GeoIP database the geoip filter reads),
#   the DejaVu fonts (fonts-dejavu-core: the text of `sluice analyze plot`'s charts).
# and the Python clients pinned in tests/clients/requirements.txt (pylogbeat, python-logstash-async,
# python-logstash, and noida-db: an Elasticsearch 8.15 API for the Elasticsearch sink's tests) from PyPI.
# Idempotent; skips what is already there. No daemon is started: policy-rc.d blocks it.
set -euo pipefail
need=()
command -v logger   >/dev/null || need+=(bsdutils)
command -v setpriv  >/dev/null || need+=(util-linux)
command -v python3  >/dev/null || need+=(python3)
command -v rsyslogd >/dev/null || need+=(rsyslog)
command -v promtool >/dev/null || need+=(prometheus)
command -v socat    >/dev/null || need+=(socat)
command -v curl     >/dev/null || need+=(curl)
command -v openssl  >/dev/null || need+=(openssl)
command -v docker-compose >/dev/null || need+=(docker-compose)
perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null || need+=(libmaxmind-db-writer-perl)
ls /usr/lib/*/rsyslog/lmnsd_ossl.so >/dev/null 2>&1 || need+=(rsyslog-openssl)
ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf >/dev/null 2>&1 || need+=(fonts-dejavu-core)
python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
if ((${#need[@]})); then
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
  fi
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  ((made_policy)) && rm -f /usr/sbin/policy-rc.d
fi
here="$(cd "$(dirname "$0")/.." && pwd)"
python3 -m pip install -q --disable-pip-version-check -r "$here/tests/clients/requirements.txt" 2>/dev/null \
  || python3 -m pip install -q --disable-pip-version-check --break-system-packages -r "$here/tests/clients/requirements.txt"
echo "test dependencies ready: $(logger --version 2>&1 | head -1); $(rsyslogd -v | head -1); $(promtool --version 2>&1 | head -1)"
