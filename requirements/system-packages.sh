#!/usr/bin/env bash
# Make sure the Debian packages of the given groups (requirements/debian-packages.txt) are installed.
#   requirements/system-packages.sh run test display   check, and install what is missing when root
#   requirements/system-packages.sh --list run         print the package names only
# Runs before any venv is built, so a missing package stops `make` at once with the one command to run.
set -euo pipefail
LIST="$(dirname "$0")/debian-packages.txt"

list_only=0
if [ "${1:-}" = "--list" ]; then list_only=1; shift; fi
[ $# -gt 0 ] || { echo "usage: $0 [--list] GROUP... (groups: run, display, test)" >&2; exit 2; }

packages=()
for group in "$@"; do
  grep -q "^$group:" "$LIST" || { echo "$0: no group '$group' in $LIST" >&2; exit 2; }
  # "group: pkg pkg  # why" -> pkg pkg
  while read -r line; do packages+=($line); done < <(sed -n "s/^$group:\([^#]*\).*/\1/p" "$LIST")
done
if [ "$list_only" = 1 ]; then echo "${packages[*]}"; exit 0; fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "This is not a Debian-like system, so Linli cannot check its system packages."
  echo "Install the equivalents of: ${packages[*]}"
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = "installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing the system packages Linli needs: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
  exit 0
fi

echo "Linli needs these system packages first. Run this once, then the same make command again:"
echo
echo "    sudo apt-get install -y --no-install-recommends ${missing[*]}"
echo
exit 1
