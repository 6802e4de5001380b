"""Hostile inputs for the regex cap: malformed and mutated patterns, deep nesting, huge
repeats, catastrophic backtracking and fuzzy searches bounded by timeout=, bad flags,
positions, named lists and replacement templates into the C engine; only Python
exceptions (regex.error, TimeoutError, RecursionError, ...) may come out."""
import regex

from pylon_hostile import WRONG_TYPES, Fuzz

PATTERNS = [
    r"(?P<word>\w+)\s+(?P=word)", r"(?i)(?:hello){e<=2}", r"\p{Greek}+|\X|[[:alpha:]]", r"(?V1)[[a-z]--[aeiou]]+",
    r"\((?:[^()]++|(?R))*\)", r"(?<=\b(?:Mr|Dr)\.\s+)\w+", r"(?fi)stra(?:ß|ss)e{1,3}?", r"(?r)\d+(?=x)",
    r"\L<words>|\N{GREEK SMALL LETTER ALPHA}", r"(?(1)a|b)(c)?", r"(?|(a)|(b))\g<1>", r"a{2,5}+b*?c??(?>d)",
]
HOSTILE = [
    "(" * 5000 + ")" * 5000, "(?:" * 5000 + "a" + ")" * 5000, "(" * 100000, "[" * 20000, "\\" * 10001,
    "a{4294967296}", "a{99999999999999999999}", "(?:a{1000}){1000}", "a{5,1}", "a**", "(?P<>x)",
    "(?P<a>x)(?P<a>y)", r"\p{NoSuchProperty}", r"\N{NO SUCH NAME}", r"\L<missing>", r"(?<=a+)b", "(?R",
    "(?" + "i" * 1000, r"(?:a|aa)+$", r"(x+x+)+y", r"(?:(?:a{1,30}){1,30}){1,30}c", r"(?:abcdefghij){e<=9}z",
    r"(.*a){12}", r"(?:\w+\s?)*$", r"(?e)(?:\w+){e<=50}", "\udcff", "\x00", "[\\d-z]", "[z-a]", r"\g<0>", "(?#" * 100,
]
SUBJECTS = ["", "a" * 60 + "b", "x" * 40, "abcdefghij" * 100, "word " * 30 + "!", "é\u0301🇫🇷ß" * 50,
            "\udcff\x00", b"bytes", "hello hello world", "(a(b)c)" * 100]


def search(pattern, subject, flags):
    return regex.search(pattern, subject, flags, timeout=0.02)


def finditer(pattern, subject):
    return [m.allspans() for m in regex.finditer(pattern, subject, overlapped=True, timeout=0.02)]


def sub(pattern, template, subject):
    return regex.sub(pattern, template, subject, count=3, timeout=0.02)


def positions(subject, pos, endpos):
    return regex.compile(r"(\w)+").search(subject, pos, endpos, timeout=0.02).allcaptures()


def match_methods(name, arg):
    # expand() with a template that is not a string raises SystemError, natively too.
    m = regex.search(r"(?P<a>\w)(\w)?", "xy z")
    return getattr(m, name)(arg)


fuzz = Fuzz(seconds=1.0)  # thirteen drives
mutated = [bytes(d).decode("latin-1") if isinstance(d, (bytes, bytearray, memoryview)) else d
           for d in fuzz.data([p.encode() for p in PATTERNS])]
patterns = PATTERNS + HOSTILE + mutated
fuzz.drive(regex.compile, patterns)
fuzz.drive(search, patterns, SUBJECTS, [0, regex.I, regex.V1 | regex.F | regex.I, regex.B, regex.E, regex.R,
                                         regex.W | regex.U, regex.A | regex.U, regex.L, 2**40, -1] + WRONG_TYPES)
fuzz.drive(finditer, patterns, SUBJECTS)
fuzz.drive(sub, patterns, [r"\1", r"\g<word>", r"\g<99>", "\\", r"\N{BAD}", "{0}", lambda m: m.group(5),
                           lambda m: 5, None, b"x"], SUBJECTS)
fuzz.drive(lambda p, s: regex.subf(p, "{0}{1}{word}{9}{", s, timeout=0.02), patterns, SUBJECTS)
fuzz.drive(lambda p, s, n: regex.split(p, s, maxsplit=n, timeout=0.02), patterns, SUBJECTS, fuzz.integers())
fuzz.drive(positions, SUBJECTS, fuzz.integers(), fuzz.integers())
fuzz.drive(lambda t: regex.search(r"(?:hello){e<=3}", "help" * 500, timeout=t), [0, -1, 1e-9, 0.01, float("nan"),
                                                                               float("inf"), 2**70, "1", None])
fuzz.drive(lambda words: regex.search(r"\L<words>", "one two", words=words, timeout=0.02),
           [["a"], [], [""], ["x" * 100000], [None], [5], None, "abc", {"a": 1}, [b"a"], ["\udcff"]])
fuzz.drive(lambda s: regex.search(r"(?(DEFINE)(?<d>\d))(?&d)+", s, timeout=0.02), SUBJECTS)
fuzz.drive(match_methods, ["group", "span", "captures", "starts", "ends", "spans", "expand", "expandf",
                           "detach_string", "__getitem__"], fuzz.integers() + ["a", "b", "\\1", "{9}", -1, 2])
fuzz.drive(lambda s: regex.escape(s, special_only=False, literal_spaces=True), fuzz.strings())
fuzz.drive(lambda s: regex.Scanner([(r"\d+", lambda sc, t: int(t)), (s, None)]).scan("12 ab 3"), patterns)
fuzz.report()
