#!/usr/bin/env bash
# `npm test` runs this first: every program the tests start must be installed. What is
# missing is installed with apt when we can (running as root on Debian/Ubuntu); otherwise
# the run stops with the one command that installs it. Never a silent skip.
#
# One line per program the tests need: the file that must exist (a shell pattern is fine,
# e.g. /usr/lib/postgresql/*/bin/postgres), the Debian package that provides it, and which
# tests need it. Add a line when a test starts a new server.
set -euo pipefail

# The browser tests drive Debian's Chromium in its headless build (chromium-headless-shell,
# what Playwright runs headless by default): under half the CPU of `chromium --headless` for
# the same tests (docs/performance.md). CHROMIUM_PATH=/usr/bin/chromium runs them in the full
# browser, and this checks for that package instead.
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium-headless-shell}"
case "${CHROMIUM##*/}" in
  chromium-headless-shell) CHROMIUM_PACKAGE=chromium-headless-shell ;;
  *) CHROMIUM_PACKAGE=chromium ;;
esac

PREREQUISITES="${TEST_PREREQUISITES:-$(cat <<EOF
$CHROMIUM  $CHROMIUM_PACKAGE  browser tests (Playwright drives Debian's Chromium, headless)
/usr/sbin/dovecot                    dovecot-imapd  email channel tests (a real IMAP server)
/usr/lib/postgresql/*/bin/postgres   postgresql     PostgreSQL tests (throw-away clusters, test/support/postgres.ts)
EOF
)}"

# True when the pattern names at least one executable file.
present() {
  local f
  for f in $1; do [ -x "$f" ] && return 0; done
  return 1
}

missing_packages=()
missing_lines=()
while read -r file package purpose; do
  [ -z "${file:-}" ] && continue
  case "$file" in \#*) continue ;; esac
  if ! present "$file"; then
    missing_packages+=("$package")
    missing_lines+=("  $package  (provides $file: $purpose)")
  fi
done <<< "$PREREQUISITES"

[ "${#missing_packages[@]}" -eq 0 ] && exit 0

echo "pretest: the tests need programs that are not installed:" >&2
printf '%s\n' "${missing_lines[@]}" >&2
command="apt-get update && apt-get install -y ${missing_packages[*]}"

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "pretest: installing them: $command" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq "${missing_packages[@]}"; } >&2; then
    echo "pretest: apt-get failed; install them and run npm test again:" >&2
    echo "  $command" >&2
    exit 1
  fi
  still=()
  while read -r file package purpose; do
    [ -z "${file:-}" ] && continue
    case "$file" in \#*) continue ;; esac
    present "$file" || still+=("$package ($file)")
  done <<< "$PREREQUISITES"
  if [ "${#still[@]}" -gt 0 ]; then
    echo "pretest: still missing after installing: ${still[*]}" >&2
    exit 1
  fi
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "pretest: this is not a Debian/Ubuntu system (no apt-get): install them with its package manager, then run npm test again" >&2
  exit 1
fi
echo "pretest: run this as root, then npm test again:" >&2
if command -v sudo >/dev/null 2>&1; then
  echo "  sudo sh -c '$command'" >&2
else
  # no sudo here: su asks for root's password
  echo "  su -c '$command'" >&2
fi
exit 1
