#!/usr/bin/env bash
# Installs the Debian packages the project needs, only those missing.
#   scripts/system-deps.sh            what running the engine needs
#   scripts/system-deps.sh --test     plus what the test suite needs
#   scripts/system-deps.sh --postgres plus a PostgreSQL server (CI)
set -euo pipefail
want=(python3 python3-venv)
for arg in "$@"; do
  case "$arg" in
    --test) want+=(chromium espeak-ng sox sip-tester baresip-core) ;;
    --postgres) want+=(postgresql) ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done
missing=()
for package in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
