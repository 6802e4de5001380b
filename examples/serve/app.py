"""A WSGI application to serve with pylon (PEP 3333; Flask or Bottle apps work the same way):

    cargo pylon serve examples/serve/app.py                 # http://127.0.0.1:8080/
    curl http://127.0.0.1:8080/?name=pylon
    curl --data-binary @README.md http://127.0.0.1:8080/digest

    cargo pylon serve examples/serve/app.py --emit app.wasm  # for `wasmtime serve app.wasm`

Every request gets an instance of its own, made from a snapshot taken after this module
was imported; nothing one request does is seen by the next.
"""

import hashlib
import json
from urllib.parse import parse_qs

import blake3


def application(environ, start_response):
    if environ["PATH_INFO"] == "/digest":
        body = environ["wsgi.input"].read()
        reply = {
            "bytes": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
            "blake3": blake3.blake3(body).hexdigest(),
        }
    else:
        name = parse_qs(environ["QUERY_STRING"]).get("name", ["world"])[0]
        reply = {"greeting": f"hello, {name}", "method": environ["REQUEST_METHOD"]}
    out = json.dumps(reply).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
    return [out]
