#!/usr/bin/env bash
# Debian packages the end-to-end tests and benchmarks run for real. Installs only what is
# missing; needs root (CI runs as root). Without root it says what to install and exits 0,
# so the tests that need them skip with that reason (or fail under CI=true).
set -euo pipefail

# Alertmanager 0.28 and 0.33 for the e2e tests: unpacked into .cache/alertmanager/, never
# installed (the system keeps bookworm's 0.25); needs no root.
"$(dirname "$0")/install-newer-alertmanagers.sh"

declare -A wanted=(
  [prometheus-alertmanager]=/usr/bin/prometheus-alertmanager
  [prometheus]=/usr/bin/prometheus
  [chromium]=/usr/bin/chromium
  [wrk]=/usr/bin/wrk
)
missing=()
for package in "${!wanted[@]}"; do
  [ -x "${wanted[$package]}" ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "not root: install ${missing[*]} with apt-get to run the end-to-end tests" >&2
  exit 0
fi
echo "installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends keeps it small; policy-rc.d stops Debian from starting the
# packaged services (the tests start their own, on 127.0.0.1 only).
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
