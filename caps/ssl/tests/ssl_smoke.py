"""ssl inside pylon: CPython's own _ssl over OpenSSL's libssl. A TLS 1.3 handshake between
two SSLObjects over memory BIOs (a client that verifies the server's certificate and name,
and a server), data both ways, the errors a real client meets, and the default context's
CA bundle."""
import os
import socket
import ssl
import tempfile

# A self-signed certificate for "pylon.test", made for this test (EC P-256, 100 years).
CERT = """-----BEGIN CERTIFICATE-----
MIIBwzCCAWigAwIBAgIUdDQiOU675YcT4Owjn529ah5jdNMwCgYIKoZIzj0EAwIw
KjETMBEGA1UEAwwKcHlsb24udGVzdDETMBEGA1UECgwKcHlsb24gdGVzdDAgFw0y
NjEyMDIxOTM1MjdaGA8yMTI2MTEwODE5MzUyN1owKjETMBEGA1UEAwwKcHlsb24u
dGVzdDETMBEGA1UECgwKcHlsb24gdGVzdDBZMBMGByqGSM49AgEGCCqGSM49AwEH
A0IABK7D1wgEFSLjAK9vRIJnTl/95BkCD+/OENoe2gscPEroobPC/aejeU/00MOz
GTqmKNJ2Ed6SzqKwznWSveIrbZGjajBoMB0GA1UdDgQWBBSP7PaJvvIa6r8Xf6ix
LlwgchsdTjAfBgNVHSMEGDAWgBSP7PaJvvIa6r8Xf6ixLlwgchsdTjAVBgNVHREE
DjAMggpweWxvbi50ZXN0MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAw
RgIhAPw4wnJsu0wcm8voJ8qkQkjNk7lmU/VWomZ+tsPP2tZhAiEAodfy627kfu0C
FQVjK31j1ATGAF/WhqT0e/IeRfu2DDw=
-----END CERTIFICATE-----
"""
KEY = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgFJR360zHswCcAmv3
4rNuAc3p4l7atkEB3CL5yAACqmuhRANCAASuw9cIBBUi4wCvb0SCZ05f/eQZAg/v
zhDaHtoLHDxK6KGzwv2no3lP9NDDsxk6pijSdhHeks6isM51kr3iK22R
-----END PRIVATE KEY-----
"""

folder = tempfile.mkdtemp()
chain = os.path.join(folder, "chain.pem")
with open(chain, "w") as f:
    f.write(CERT + KEY)

# The default context trusts Mozilla's authorities, from the bundle at OpenSSL's default path.
paths = ssl.get_default_verify_paths()
assert paths.cafile == paths.openssl_cafile == "/usr/local/ssl/cert.pem", paths
assert ssl.create_default_context().cert_store_stats()["x509_ca"] > 100

server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
server_context.load_cert_chain(chain)
client_context = ssl.create_default_context()
assert client_context.verify_mode == ssl.CERT_REQUIRED and client_context.check_hostname
client_context.load_verify_locations(cadata=CERT)


def connect(client_context, hostname="pylon.test"):
    """A client and a server SSLObject, their handshake pumped over memory BIOs."""
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    client_in, server_in = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = client_context.wrap_bio(client_in, to_server, server_hostname=hostname)
    server = server_context.wrap_bio(server_in, to_client, server_side=True)
    done = {client: False, server: False}

    def pump():
        server_in.write(to_server.read())
        client_in.write(to_client.read())

    for _ in range(20):
        for side in (client, server):
            if not done[side]:
                try:
                    side.do_handshake()
                    done[side] = True
                except ssl.SSLWantReadError:
                    pass
        pump()
        if all(done.values()):
            return client, server, pump
    raise AssertionError("the handshake did not finish")


client, server, pump = connect(client_context)
assert client.version() == "TLSv1.3", client.version()
assert client.cipher()[1] == "TLSv1.3"
assert dict(x[0] for x in client.getpeercert()["subject"])["commonName"] == "pylon.test"
client.write(b"ping")
pump()
assert server.read() == b"ping"
server.write(b"pong" * 10000)
pump()
received = b""
while len(received) < 40000:
    received += client.read(65536)
assert received == b"pong" * 10000

# A certificate nobody trusts, and the wrong name, fail as they do natively.
for context, name, reason in [
    (ssl.create_default_context(), "pylon.test", "self-signed certificate"),
    (client_context, "other.test", "Hostname mismatch"),
]:
    try:
        connect(context, name)
    except ssl.SSLCertVerificationError as e:
        assert reason in str(e), e
    else:
        raise AssertionError("verification must fail for " + name)

# An HTTPS client's connection ends in an OSError before TLS: WASI preview 1 makes none.
try:
    client_context.wrap_socket(socket.create_connection(("pylon.test", 443)), server_hostname="pylon.test")
except OSError as e:
    assert isinstance(e, socket.gaierror), e
else:
    raise AssertionError("no connection can be made")

assert ssl.OPENSSL_VERSION.startswith("OpenSSL 3."), ssl.OPENSSL_VERSION
assert len(ssl.RAND_bytes(16)) == 16 and ssl.RAND_status()
assert ssl.HAS_TLSv1_3 and ssl.HAS_SNI
print("ssl ok", client.version())
