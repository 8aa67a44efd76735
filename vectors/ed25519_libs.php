<?php
// Feeds vectors/ed25519.json to PHP's sodium extension (libsodium) and prints one verdict per
// case as JSON: {"id": {"verify": "accept"|"reject", "key": "accept"|"reject"}}.
//   verify: sodium_crypto_sign_verify_detached (signature cases only)
//   key:    sodium_crypto_sign_ed25519_pk_to_curve25519 succeeds (the key check of spec §3.5.5)
// Used by vectors/ed25519_libs.sh; spec §3.5.5 says which verdicts a host may give.
$path = $argv[1] ?? (__DIR__ . '/ed25519.json');
$d = json_decode(file_get_contents($path), true, 512, JSON_THROW_ON_ERROR);
$out = ['library' => 'libsodium ' . SODIUM_LIBRARY_VERSION . ', PHP ' . PHP_VERSION, 'cases' => []];
foreach ($d['cases'] as $c) {
    $in = $c['inputs'];
    $pk = hex2bin($in['public_key']);
    $v = [];
    if (isset($in['signature'])) {
        $ok = sodium_crypto_sign_verify_detached(hex2bin($in['signature']), hex2bin($in['message']), $pk);
        $v['verify'] = $ok ? 'accept' : 'reject';
    }
    try {
        sodium_crypto_sign_ed25519_pk_to_curve25519($pk);
        $v['key'] = 'accept';
    } catch (SodiumException $e) {
        $v['key'] = 'reject';
    }
    $out['cases'][$c['id']] = $v;
}
echo json_encode($out, JSON_PRETTY_PRINT), "\n";
