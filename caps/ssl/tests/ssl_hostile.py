"""Hostile inputs for the ssl cap: garbage certificates, keys, cipher strings and protocol
lists into OpenSSL, memory BIOs fed junk, and an SSLObject driven out of order; only Python
exceptions may come out."""
import os
import ssl
import tempfile

from pylon_hostile import Fuzz

fuzz = Fuzz()
data = fuzz.data([b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", b"\x30\x82\xff\xff", bytes(300)])
texts = ["", "ALL", "DEFAULT:!aNULL", "no-such-cipher", "\x00", "A" * 5000, "TLS_AES_128_GCM_SHA256"]
folder = tempfile.mkdtemp()


def written(content):
    path = os.path.join(folder, "f.pem")
    with open(path, "wb") as f:
        f.write(content if isinstance(content, bytes) else str(content).encode("utf-8", "surrogatepass"))
    return path


def context():
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


fuzz.drive(lambda cadata: context().load_verify_locations(cadata=cadata), data + texts)
fuzz.drive(lambda content: context().load_verify_locations(cafile=written(content)), data)
fuzz.drive(lambda content, password: context().load_cert_chain(written(content), password=password), data, [None, b"pw", "pw", 42, lambda: b"x" * 2000])
fuzz.drive(lambda path: context().load_verify_locations(cafile=path), ["/no/such/file", folder, "", "\x00"])
fuzz.drive(lambda ciphers: context().set_ciphers(ciphers), texts + fuzz.integers())
fuzz.drive(lambda protocols: context().set_alpn_protocols(protocols), [[], ["h2"], [""], ["x" * 300], [b"h2"], [1]])
fuzz.drive(lambda curve: context().set_ecdh_curve(curve), texts + ["prime256v1", b"secp384r1"])
fuzz.drive(lambda version: setattr(context(), "minimum_version", version), [ssl.TLSVersion.TLSv1_3, -5, 10**9, "TLSv1"])
fuzz.drive(ssl.PEM_cert_to_DER_cert, texts + ["-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n"])
fuzz.drive(ssl.DER_cert_to_PEM_cert, data)
fuzz.drive(lambda content: ssl._ssl._test_decode_cert(written(content)), data)


def out_of_order(first, payload):
    """An SSLObject driven before, or instead of, its handshake."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = context().wrap_bio(incoming, outgoing, server_hostname="pylon.test")
    incoming.write(payload)
    if first == "read":
        return obj.read(1024)
    if first == "write":
        return obj.write(payload)
    if first == "handshake":
        return obj.do_handshake()
    return obj.unwrap()


fuzz.drive(out_of_order, ["read", "write", "handshake", "unwrap"], data)
fuzz.drive(lambda item: ssl.MemoryBIO().write(item), data + [None, 3, "text", memoryview(b"x")])
fuzz.drive(lambda hostname: context().wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname=hostname), ["", "a" * 300, "x\x00y", ".", "bücher.example", 42])
fuzz.report()
