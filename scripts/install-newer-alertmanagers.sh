#!/usr/bin/env bash
# Alertmanager 0.28 (Debian trixie) and 0.33 (Debian sid) for the end-to-end tests, next to the
# system's 0.25 (bookworm). The .debs are fetched with a private sources list and private apt
# state, then unpacked with dpkg-deb into .cache/alertmanager/<version>/: the system's sources
# and packages are never touched (a bookworm machine must not pull trixie/sid libraries).
# Both binaries need only libc6 >= 2.34, which bookworm has. Safe to re-run: a version already
# unpacked is skipped. Needs no root; without network it says why and exits 0, so the tests skip
# (or fail under CI=true).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache="$repo/.cache/alertmanager"
# version -> suite=exact Debian package version (pinned so the cache folder means one build).
declare -A wanted=(
  [0.28.1]="trixie=0.28.1+ds-1"
  [0.33.1]="sid=0.33.1-5"
)

missing=()
for version in "${!wanted[@]}"; do
  [ -x "$cache/$version/usr/bin/prometheus-alertmanager" ] || missing+=("$version")
done
[ ${#missing[@]} -eq 0 ] && exit 0

# The same mirror the system's sources name (deb.debian.org when none is found).
# One-line (sources.list) and deb822 (*.sources) formats both name it as .../debian.
mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
  | grep -v '^[[:space:]]*#' | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -n1 | tr -d ' ' || true)
mirror=${mirror:-http://deb.debian.org/debian}
apt_state="$cache/apt"
echo "fetching Alertmanager ${missing[*]} from $mirror (trixie, sid) into $cache" >&2
mkdir -p "$apt_state/lists/partial" "$apt_state/cache/archives/partial" "$apt_state/debs"
printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s trixie main\n' "$mirror" >"$apt_state/sources.list"
printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s sid main\n' "$mirror" >>"$apt_state/sources.list"
private_apt=(
  -o "Dir::Etc::SourceList=$apt_state/sources.list"
  -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$apt_state/lists"
  -o "Dir::Cache=$apt_state/cache"
  -o Dir::State::status=/dev/null
  -o Debug::NoLocking=1
)
# As root apt downloads as the _apt user, who cannot write into a user's checkout.
if [ "$(id -u)" -eq 0 ]; then private_apt+=(-o APT::Sandbox::User=root); fi
# apt-get update exits 0 when it cannot reach the mirror, so look for the indexes it wrote.
apt-get "${private_apt[@]}" update -qq >"$apt_state/update.log" 2>&1 || true
if ! compgen -G "$apt_state/lists/*_Packages*" >/dev/null; then
  echo "could not read trixie/sid indexes from $mirror for Alertmanager ${missing[*]}: $(tail -n3 "$apt_state/update.log")" >&2
  exit 0
fi
for version in "${missing[@]}"; do
  package_version=${wanted[$version]#*=}
  (cd "$apt_state/debs" && apt-get "${private_apt[@]}" download -qq "prometheus-alertmanager=$package_version") || {
    echo "could not download prometheus-alertmanager=$package_version (Alertmanager $version)" >&2
    continue
  }
  deb=$(ls "$apt_state/debs"/prometheus-alertmanager_"${package_version//:/%3a}"_*.deb)
  # Unpack into a temporary folder and rename, so a half-unpacked version is never "installed".
  rm -rf "$cache/$version.partial"
  dpkg-deb -x "$deb" "$cache/$version.partial"
  rm -rf "$cache/$version"
  mv "$cache/$version.partial" "$cache/$version"
  echo "Alertmanager $version unpacked into $cache/$version" >&2
done
