#!/usr/bin/env bash
# Installs Debian's prometheus package (prometheus and promtool) for the tests and `make run PROMETHEUS=1`.
#
# Non-interactive, without recommended extras, and without starting the packaged daemon: the tests and
# the local platform start their own Prometheus on loopback with a generated configuration, so a
# system-wide one listening on :9090 would only be in the way.
set -euo pipefail

if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "promtool is missing and this is not a Debian-like machine: install Prometheus 2.x by hand" >&2
    exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "promtool is missing: run 'sudo $0' once (it installs Debian's prometheus package)" >&2
    exit 1
fi

# invoke-rc.d and deb-systemd-invoke ask policy-rc.d whether a maintainer script may start a
# service; 101 means "no". Only install a policy for the duration of this install, and only when
# the machine has none of its own.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# Placed by doudi while installing prometheus; removed afterwards.\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 prometheus >/dev/null
promtool --version | head -n 1
