"""Hostile inputs for the markupsafe cap: lone surrogates, huge strings, objects whose
__html__ or __str__ misbehave, and wrong types into the C escaper; only Python exceptions
may come out."""
from markupsafe import Markup, _escape_inner, escape

from pylon_hostile import Fuzz


class Html:
    def __init__(self, value):
        self.value = value

    def __html__(self):
        return self.value


class BadStr:
    def __str__(self):
        raise RuntimeError("no text")


fuzz = Fuzz()
texts = ["", "<" * 100000, "\udcff<", "\x00&", "a" * 3 + "\U0010ffff" * 1000, "é" * 50000 + ">"]
fuzz.drive(escape, texts + fuzz.integers() + [Html("<b>"), Html(5), Html(None), BadStr(), b"<bytes>"])
fuzz.drive(_escape_inner, texts + [Html("x"), 5, None, b"x"])
fuzz.drive(lambda s: Markup(s).striptags(), texts + [BadStr()])
fuzz.drive(lambda s, a: Markup(s) % a, texts, [(), ("<",), {"a": 1}, BadStr(), [1] * 10])
fuzz.drive(lambda s: Markup(s).unescape(), ["&#99999999999;", "&#xffffffff;", "&#0;", "&;" * 1000] + texts)
fuzz.report()
