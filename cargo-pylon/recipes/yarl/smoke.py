"""yarl inside pylon, with its Cython quoting: yarl's _Quoter and _Unquoter are the
compiled yarl._quoting_c (a builtin module of the interpreter, not the pure-Python
fallback); URLs parse, join (the reference resolution examples of RFC 3986, section
5.4.1), quote, build and encode international hosts as worked out by hand."""
import sys

import yarl
from yarl import URL
from yarl._quoting import _Quoter, _Unquoter

assert "yarl._quoting_c" in sys.builtin_module_names
assert _Quoter is yarl._quoting_c._Quoter and _Unquoter is yarl._quoting_c._Unquoter
assert _Quoter.__module__ == "yarl._quoting_c"

# RFC 3986, 5.4.1: every normal example, and the abnormal ones.
base = URL("http://a/b/c/d;p?q")
rfc = {
    "g:h": "g:h", "g": "http://a/b/c/g", "./g": "http://a/b/c/g", "g/": "http://a/b/c/g/", "/g": "http://a/g",
    "//g": "http://g", "?y": "http://a/b/c/d;p?y", "g?y": "http://a/b/c/g?y", "#s": "http://a/b/c/d;p?q#s",
    "g#s": "http://a/b/c/g#s", "g?y#s": "http://a/b/c/g?y#s", ";x": "http://a/b/c/;x", "g;x": "http://a/b/c/g;x",
    "": "http://a/b/c/d;p?q", ".": "http://a/b/c/", "./": "http://a/b/c/", "..": "http://a/b/",
    "../": "http://a/b/",
    "../g": "http://a/b/g", "../..": "http://a/", "../../": "http://a/", "../../g": "http://a/g",
    "../../../g": "http://a/g", "/./g": "http://a/g", "g.": "http://a/b/c/g.", ".g": "http://a/b/c/.g",
    "g..": "http://a/b/c/g..", "..g": "http://a/b/c/..g", "./../g": "http://a/b/g",
    "g;x=1/./y": "http://a/b/c/g;x=1/y", "g?y/./x": "http://a/b/c/g?y/./x",
}
for reference, expected in rfc.items():
    assert str(base.join(URL(reference))) == expected, (reference, str(base.join(URL(reference))))

# Parsing and quoting: Cyrillic path, an escaped slash kept, a query with repeated keys.
u = URL("https://user:pa%20ss@Example.COM:8443/путь/a%2Fb?q=1&q=2&x=é#frag")
assert (u.scheme, u.user, u.password, u.host, u.port) == ("https", "user", "pa ss", "example.com", 8443)
assert u.path == "/путь/a/b" and u.raw_path == "/%D0%BF%D1%83%D1%82%D1%8C/a%2Fb"
assert u.query_string == "q=1&q=2&x=é" and u.raw_query_string == "q=1&q=2&x=%C3%A9"
assert u.query.getall("q") == ["1", "2"] and u.fragment == "frag"
assert str(u) == "https://user:pa%20ss@example.com:8443/%D0%BF%D1%83%D1%82%D1%8C/a%2Fb?q=1&q=2&x=%C3%A9#frag"
assert URL("http://example.com/a b").raw_path == "/a%20b" and URL("http://h/%7Efoo%41").path == "/~fooA"
assert URL("http://h/?a=%26b&c").query == {"a": "&b", "c": ""}
assert URL("http://h/?a+b=c+d").query == {"a b": "c d"}

# International hosts (IDNA) and IPv6.
assert URL("http://пример.рф/").raw_host == "xn--e1afmkfd.xn--p1ai"
assert URL("http://xn--e1afmkfd.xn--p1ai/").host == "пример.рф"
assert URL("http://[::1]:8080/").host == "::1" and URL("http://[::1]:8080/").port == 8080

# Building and changing URLs.
assert str(URL.build(scheme="http", host="h", port=80, path="/p", query={"a": "1 2", "b": ["x", "y"]})) == \
    "http://h/p?a=1+2&b=x&b=y"
assert str(URL("http://h/p").with_query(a=1, b="é&")) == "http://h/p?a=1&b=%C3%A9%26"
assert str(URL("http://h/p") / "x y" / "z") == "http://h/p/x%20y/z"
assert URL("http://h:80/").explicit_port == 80
assert URL("http://h/").port == 80 and URL("http://h/").explicit_port is None
b = URL("http://h/a/b.tar.gz")
assert (b.name, b.suffix, b.suffixes, str(b.parent)) == ("b.tar.gz", ".gz", (".tar", ".gz"), "http://h/a")
assert URL("http://h/a/b").parts == ("/", "a", "b") and str(URL("http://h/a/../b/./c")) == "http://h/b/c"
assert str(URL("http://h/?a=1").update_query(b=2)) == "http://h/?a=1&b=2"
assert str(URL("http://h/?a=1") % {"c": "d"}) == "http://h/?a=1&c=d"
assert str(URL("http://h/p").with_fragment("f g")) == "http://h/p#f%20g"
assert str(URL("http://h/p").with_user("u@x").with_password("p:w")) == "http://u%40x:p%3Aw@h/p"
assert not URL("/rel").is_absolute() and str(URL("http://u:p@h:81/x?y").origin()) == "http://h:81"

# The compiled quoters themselves.
assert _Quoter()("a b/é%zz") == "a%20b%2F%C3%A9%25zz"
assert _Quoter(safe="/")("a b/%41") == "a%20b/A"  # %41 is an unreserved letter: decoded
assert _Quoter(qs=True)("a b+c&d") == "a+b%2Bc%26d"
assert _Quoter(requote=False)("a%41") == "a%2541" and _Quoter(protected="/")("a%2Fb") == "a%2Fb"
assert _Unquoter()("a%20b%2Fc%e9") == "a b/c%e9"  # a lone %e9 is not UTF-8: kept
assert _Unquoter(ignore="/")("a%2Fb%41") == "a%2FbA" and _Unquoter(qs=True)("a+b%2Bc") == "a b%2Bc"
print("yarl ok:", yarl.__version__)
