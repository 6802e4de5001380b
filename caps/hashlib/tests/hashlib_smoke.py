"""hashlib inside pylon: CPython's own _hashlib over OpenSSL, with the KDFs and digests
CPython takes from OpenSSL only (expected values: RFC 6070, RFC 7914, host CPython)."""
import _hashlib
import hashlib
import hmac

# Key derivation.
assert hashlib.pbkdf2_hmac("sha1", b"password", b"salt", 1, 20).hex() == "0c60c80f961f0e71f3a9b524af6012062fe037a6"
assert hashlib.pbkdf2_hmac("sha1", b"password", b"salt", 4096).hex() == "4b007901b765489abead49d926f721d065a429c1"
assert hashlib.pbkdf2_hmac("sha256", b"passwd", b"salt", 1, 64).hex().startswith("55ac046e56e3089fec1691c22544b605")
assert hashlib.scrypt(b"", salt=b"", n=16, r=1, p=1, dklen=64).hex().startswith("77d6576238657b203b19ca42c18a0497")
assert hashlib.scrypt(b"password", salt=b"NaCl", n=1024, r=8, p=16, dklen=64).hex() == (
    "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"
)

# hashlib's constructors are OpenSSL's, and OpenSSL's digests are available by name.
assert type(hashlib.sha256()) is _hashlib.HASH, type(hashlib.sha256())
assert hashlib.sha256(b"abc").hexdigest() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
assert {"sha512_224", "sha512_256", "sm3", "shake_128"} <= hashlib.algorithms_available
assert hashlib.new("sha512_256", b"abc").hexdigest().startswith("53048e2681941ef99b2e29b76b4c7dab")
assert hashlib.new("shake_256", b"").hexdigest(8) == "46b9dd2b0ba88d13"

# HMAC through OpenSSL, and the one-shot digest.
assert hmac.new(b"key", b"The quick brown fox jumps over the lazy dog", "sha256").hexdigest() == (
    "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
)
assert hmac.digest(b"key", b"msg", "md5") == _hashlib.hmac_digest(b"key", b"msg", "md5")
assert hmac.compare_digest(b"abc", b"abc") and not hmac.compare_digest(b"abc", b"abd")

# CPython's own errors.
for bad, error in [
    (lambda: hashlib.pbkdf2_hmac("sha256", b"p", b"s", 0), ValueError),
    (lambda: hashlib.pbkdf2_hmac("no-such-hash", b"p", b"s", 1), ValueError),
    (lambda: hashlib.scrypt(b"p", salt=b"s", n=3, r=1, p=1), ValueError),
    (lambda: hashlib.new("no-such-hash"), ValueError),
]:
    try:
        bad()
    except error:
        pass
    else:
        raise AssertionError(f"{bad} did not raise {error.__name__}")
assert not _hashlib.get_fips_mode()
print("hashlib smoke ok:", _hashlib.OPENSSL_VERSION if hasattr(_hashlib, "OPENSSL_VERSION") else "OpenSSL")
