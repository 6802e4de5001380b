"""Hostile inputs for the hashlib cap: huge lengths and costs, wrong types and unknown
names into OpenSSL's KDFs, digests and HMAC; only Python exceptions may come out."""
import _hashlib
import hashlib
import hmac

from pylon_hostile import Fuzz

fuzz = Fuzz()
data = fuzz.data([b"password", b"salt" * 40, bytes(200)])
names = ["sha256", "sha1", "md5", "sha3_512", "shake_128", "blake2b", "sm3", "", "SHA256", "no-such", "sha256\x00"]
small = fuzz.integers([1, 2, 16, 64])


def bounded(n, most=1 << 16):
    """Huge lengths that are still valid would only burn time: the largest valid one."""
    return most if isinstance(n, int) and most < n < 2**31 else n


fuzz.drive(lambda name, pw, salt, n, dklen: hashlib.pbkdf2_hmac(name, pw, salt, bounded(n, 50), bounded(dklen)),
           names + fuzz.integers(), data, data, small, small + [None])
fuzz.drive(lambda pw, salt, n, r, p: hashlib.scrypt(pw, salt=salt, n=n, r=r, p=p, maxmem=1 << 22, dklen=32), data, data, small, small, small)
fuzz.drive(lambda pw, dklen, maxmem: hashlib.scrypt(pw, salt=b"s", n=2, r=1, p=1, dklen=bounded(dklen), maxmem=maxmem), data, small, fuzz.integers())
fuzz.drive(lambda name, d: hashlib.new(name, d).hexdigest(), names + fuzz.integers(), data)
fuzz.drive(lambda name, n: hashlib.new(name).hexdigest(bounded(n)) if name.startswith("shake") else None, ["shake_128", "shake_256"], small)
fuzz.drive(lambda key, msg, name: hmac.new(key, msg, name).digest(), data, data, names)
fuzz.drive(_hashlib.hmac_digest, data, data, names)
fuzz.drive(_hashlib.compare_digest, data, data)
fuzz.report()
