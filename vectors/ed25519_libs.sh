#!/usr/bin/env bash
# Spec §3.5.5 evidence: feeds vectors/ed25519.json (and, when HEARTH_UPSTREAM_DIR is set, the
# twelve speccheck signatures of Table 3.2) to PHP's sodium extension (libsodium) and to Python's
# `cryptography` (OpenSSL), prints the verdict table and fails if a library gives a verdict the
# host role does not allow. Needs `php` with the sodium extension (Debian: php-cli) and
# `pip install cryptography cbor2`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
php "$here/ed25519_libs.php" "$here/ed25519.json" > "$tmp/php.json"
extra=()
spec="${HEARTH_UPSTREAM_DIR:-}/ed25519-speccheck-cases.json"
if [ -n "${HEARTH_UPSTREAM_DIR:-}" ] && [ -f "$spec" ]; then
  python3 "$here/ed25519_libs.py" --emit-speccheck "$spec" > "$tmp/speccheck.json"
  php "$here/ed25519_libs.php" "$tmp/speccheck.json" > "$tmp/php-speccheck.json"
  extra=("$tmp/speccheck.json" "$tmp/php-speccheck.json")
else
  echo "HEARTH_UPSTREAM_DIR not set: the speccheck cases of Table 3.2 are not run"
fi
python3 "$here/ed25519_libs.py" "$tmp/php.json" "$here/ed25519.json" "${extra[@]}"
