#!/usr/bin/env bash
# Spec §3.5.5 evidence: feeds vectors/ed25519.json to PHP's sodium extension (libsodium) and to
# Python's `cryptography` (OpenSSL), prints the verdict table and fails if a library gives a
# verdict the host role does not allow. Needs `php` with the sodium extension (Debian: php-cli)
# and `pip install cryptography`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
php "$here/ed25519_libs.php" "$here/ed25519.json" > "$out"
python3 "$here/ed25519_libs.py" "$out" "$here/ed25519.json"
