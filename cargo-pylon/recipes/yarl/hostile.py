"""Hostile inputs for the yarl cap: invalid and mutated URLs, ports out of range, hosts
that are not valid (IPv6, IDNA, overlong labels, control characters), bad percent
escapes and lone surrogates into the C quoters, and URL building, joining and changing
with wrong types; only Python exceptions may come out."""
from yarl import URL
from yarl._quoting import _Quoter, _Unquoter

from pylon_hostile import WRONG_TYPES, Fuzz

SAMPLES = [
    "https://user:pa%20ss@Example.COM:8443/путь/a%2Fb?q=1&q=2&x=é#frag", "http://[::1]:8080/a/../b/./c",
    "http://пример.рф/?a=%26b&c", "mailto:someone@example.com", "file:///etc/hosts", "//host/path", "/rel?x#y",
]
BAD = [
    "http://h:99999/", "http://h:-1/", "http://h:80:80/", "http://h:" + "9" * 400 + "/", "http://[::1/",
    "http://[zz::1]/", "http://[::ffff:1.2.3.4%25eth0]/", "http://]/", "http://h\x00/", "http://a b/", "http://xn--zz/",
    "http://xn--/", "http://" + "a" * 300 + ".com/", "http://" + "é" * 100 + ".com/", "http://%zz/", "http://h/%",
    "http://h/%e9%", "http://h/?%%%", "\udcff", "http://\udcff/", "http://h/\udcff?\udcff#\udcff", ":", "::::",
    "http://@/", "http://u:p@:1/", "http:" + "/" * 10000, "http://h/" + "%41" * 20000, "http://h/" + "../" * 5000,
    "\t http://h/\r\n", "http://h/#" + "#" * 1000, "ht\x00tp://h/", "1http://h/", "http://h?" + "&=" * 5000,
]
ESCAPES = ["%", "%zz", "%e9", "%c3%a9", "%ed%a0%80", "%f4%90%80%80", "%00", "%2F%2f", "+%2B", "a" * 100000,
           "\udcff", "é漢🙂", "%" * 1000, "%%41", "%4", "\x00", "\u2028"]


def mutated(fuzz):
    return [bytes(b).decode("utf-8", "surrogateescape") if isinstance(b, (bytes, bytearray, memoryview)) else b
            for b in fuzz.data([s.encode("utf-8", "surrogatepass") for s in SAMPLES])]


def parts(url):
    u = URL(url)
    return (u.scheme, u.raw_user, u.password, u.host, u.raw_host, u.port, u.path, u.raw_path, u.query_string,
            u.query, u.fragment, u.parts, u.name, u.suffix, u.parent, u.origin() if u.absolute else None,
            str(u), u.human_repr(), u.is_default_port(), u.path_safe if hasattr(u, "path_safe") else None)


def build(scheme, host, port, path, query):
    return str(URL.build(scheme=scheme, host=host, port=port, path=path, query=query))


def change(url, method, value):
    return str(getattr(URL(url), method)(value))


fuzz = Fuzz(seconds=1.5)
urls = SAMPLES + BAD + mutated(fuzz) + WRONG_TYPES
fuzz.drive(parts, urls)
fuzz.drive(lambda a, b: str(URL(a).join(URL(b))), urls, urls)
fuzz.drive(lambda a, b: str(URL(a) / b), urls, ESCAPES + ["../..", "/", "", "a/b"] + WRONG_TYPES)
fuzz.drive(lambda u, e: str(URL(u, encoded=e)), urls, [True, False])
hosts = ["h", "::1", "[::1]", "1.2.3.4", "256.0.0.1", "xn--zz", "a" * 64, "é" * 100, "", "h:1", "h/", "h\x00", None]
fuzz.drive(build, ["http", "", "1x", "\udcff", None, 5], hosts, fuzz.integers([65535, 65536]),
           ["/p", "p", "", "/%zz", "\udcff", None], [{"a": 1}, {"a": [1, 2]}, {"a": object()}, "a=1", [("a",)],
                                                     {"a": float("nan")}, {"a": True}, {1: 1}, None, 5])
methods = ["with_scheme", "with_host", "with_port", "with_path", "with_query", "with_fragment", "with_user",
           "with_password", "with_name", "with_suffix", "update_query", "extend_query", "joinpath", "__truediv__",
           "__mod__", "without_query_params"]
fuzz.drive(change, SAMPLES + BAD[:6], methods, ESCAPES + hosts + fuzz.integers() + [{"a": object()}, [("a", 1, 2)]])
fuzz.drive(lambda q, s: _Quoter(**q)(s), [{}, {"safe": "/"}, {"qs": True}, {"requote": False},
                                          {"protected": "/?"}, {"path": True}, {"safe": "\udcff"}, {"safe": 5},
                                          {"nope": 1}], ESCAPES + WRONG_TYPES)
fuzz.drive(lambda q, s: _Unquoter(**q)(s), [{}, {"ignore": "/"}, {"unsafe": "+"}, {"qs": True}, {"ignore": 5},
                                            {"nope": 1}], ESCAPES + WRONG_TYPES)
fuzz.report()
