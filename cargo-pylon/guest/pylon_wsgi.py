"""pylon's WSGI bridge (PEP 3333): one wasi:http exchange per interpreter instance.

`load` runs once, before the snapshot: it imports the application named by
PYLON_WSGI_APP (a file whose `application` is the WSGI callable) and the modules
PYLON_PRELOAD lists. `serve` runs once per instance, for its one request.
"""

import io
import os
import sys
import traceback
from urllib.parse import unquote_to_bytes

import _pylon_http as _http

_app = None

# Hop-by-hop headers belong to the connection the host manages (PEP 3333 forbids
# applications to set them); wasi:http hosts refuse them, so they are dropped here.
_HOP_BY_HOP = frozenset(
    ["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
     "te", "trailer", "transfer-encoding", "upgrade"]
)


class Unservable(Exception):
    """The application file cannot be served as it is: told in one line, no traceback."""


def load():
    global _app
    path = os.environ.get("PYLON_WSGI_APP")
    if not path:
        raise Unservable("PYLON_WSGI_APP names no application file")
    folder, name = os.path.split(path)
    stem, ext = os.path.splitext(name)
    if ext != ".py" or not stem.isidentifier():
        raise Unservable(f"{name}: the application must be a .py file with a module name")
    sys.path.insert(0, folder)
    _watch_generators()
    import importlib

    for preload in filter(None, os.environ.get("PYLON_PRELOAD", "").split(",")):
        importlib.import_module(preload)
    module = importlib.import_module(stem)
    app = getattr(module, "application", None)
    if not callable(app):
        raise Unservable(
            f"{name} defines no WSGI application: name the callable `application` "
            f"(for example `application = app` after creating a Flask or Bottle app)"
        )
    _app = app
    if os.environ.get("PYLON_NO_FILES") == "1":
        sys.meta_path.append(_Unbundled())
    _stop_watching()


class _Unbundled:
    """Last on sys.meta_path of a component with no file system: a module that was not
    imported while the component was pre-initialized is not inside it; say how to fix that."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        raise ModuleNotFoundError(
            f"No module named {name!r} in this component: a wasi:http/proxy component has no file "
            f"system, so it holds only the modules imported while it was pre-initialized "
            f"(fix: `cargo pylon serve --emit ... --preload {name.partition('.')[0]}`, or import it at the application's top)",
            name=name,
        )


def flush():
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()


class _Body(io.RawIOBase):
    """The request body as a raw stream, read from the host as the application asks."""

    def readable(self):
        return True

    def readinto(self, buffer):
        data = _http.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _environ(method, target, scheme, authority, headers):
    path, _, query = (target or "/").partition("?")
    host, _, port = (authority or "").rpartition(":") if ":" in (authority or "") else (authority or "", "", "")
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
        "QUERY_STRING": query,
        "SERVER_NAME": host or "localhost",
        "SERVER_PORT": port or ("443" if scheme == "https" else "80"),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BufferedReader(_Body(), 65536),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in headers:
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        text = value.decode("latin-1")
        environ[key] = environ[key] + "," + text if key in environ else text
    return environ


class _Response:
    def __init__(self):
        self.status = None
        self.headers = None
        self.sent = False

    def start_response(self, status, headers, exc_info=None):
        if exc_info is not None:
            try:
                if self.sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError("start_response was already called")
        code = status.split(" ", 1)[0]
        if len(code) != 3 or not code.isdigit():
            raise ValueError(f"{status!r} is not an HTTP status line")
        self.status = int(code)
        self.headers = [
            (name.lower(), value.encode("latin-1"))
            for name, value in headers
            if name.lower() not in _HOP_BY_HOP
        ]
        return self.write

    def send_headers(self):
        if not self.sent:
            if self.status is None:
                raise AssertionError("the application returned a body before calling start_response")
            self.sent = True
            _http.respond(self.status, self.headers)

    def write(self, data):
        if data:
            self.send_headers()
            _http.write(data)


def serve():
    # The snapshot froze every generator's state; each request draws its own.
    _reseed_generators()
    request = _http.request()
    environ = _environ(*request)
    response = _Response()
    try:
        result = _app(environ, response.start_response)
        try:
            for chunk in result:
                response.write(chunk)
            response.send_headers()
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    except Exception:
        print(f"pylon serve: {environ['REQUEST_METHOD']} {request[1]}: the application raised", file=sys.stderr)
        traceback.print_exc()
        if response.sent:
            raise
        response.status, response.headers = 500, [("content-type", b"text/plain; charset=utf-8")]
        response.write(b"Internal Server Error\n")
    _http.finish()
