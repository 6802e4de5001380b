"""regex inside pylon, with its C engine: patterns compile to regex._regex (a builtin
module of the interpreter), and Unicode properties, graphemes, full case folding, fuzzy
and best matching, recursion, set operations, named lists, captures, reverse and
overlapped search, and the functions declared without an argument CPython passes them
(allspans, allcaptures, capturesdict, groupindex, pickling) give the results worked out
by hand."""
import pickle
import sys

import regex

assert "regex._regex" in sys.builtin_module_names
assert type(regex.compile("a")).__module__ == "_regex" and regex._regex.__name__ == "regex._regex"

# Unicode properties, scripts, graphemes and POSIX classes.
assert regex.findall(r"\p{Greek}+", "abc αβγ def ΔΕ") == ["αβγ", "ΔΕ"]
assert regex.findall(r"\p{Lu}", "aBcΔé É") == ["B", "Δ", "É"]
assert regex.findall(r"\p{Script=Cyrillic}+", "xyz привет мир") == ["привет", "мир"]
assert regex.search(r"\p{Han}+", "中文 text").group() == "中文"
assert regex.findall(r"\X", "e\u0301a\U0001f1eb\U0001f1f7\U0001f44d\U0001f3fd") == [
    "e\u0301", "a", "\U0001f1eb\U0001f1f7", "\U0001f44d\U0001f3fd"]  # combining mark, flag, skin tone
assert regex.match(r"^\p{Emoji_Presentation}", "\U0001f44d")
assert regex.match(r"\N{GREEK SMALL LETTER ALPHA}", "α")
assert regex.search(r"[[:alpha:]]+", "123abc").group() == "abc"
assert regex.match(r"\d", "\u0663") and not regex.match(r"(?a)\d", "\u0663")  # ARABIC-INDIC DIGIT THREE

# Full case folding: ß folds to "ss" only under (?f) with (?i).
assert regex.match(r"(?i)ß", "SS") is None
assert regex.match(r"(?fi)ß", "SS").span() == (0, 2)
assert regex.match(r"(?fi)strasse", "STRAßE").group() == "STRAßE"

# Fuzzy matching: one substitution, then the best of several candidates.
m = regex.fullmatch(r"(?:hello){e<=1}", "hallo")
assert m and m.fuzzy_counts == (1, 0, 0) and m.fuzzy_changes == ([1], [], [])
assert regex.fullmatch(r"(?:hello){e<=1}", "hxxlo") is None
m = regex.fullmatch(r"(?:color){i<=1}", "colour")
assert m and m.fuzzy_counts == (0, 1, 0) and m.fuzzy_changes == ([], [4], [])
m = regex.search(r"(?b)(?:world){e<=2}", "word wordl worlds world")
assert m.span() == (11, 16) and m.fuzzy_counts == (0, 0, 0)
assert regex.fullmatch(r"(?e)(?:abc){e<=1}", "abx").fuzzy_counts == (1, 0, 0)

# Recursion, possessive quantifiers, variable-length lookbehind, V1 set difference.
assert regex.findall(r"\((?:[^()]++|(?R))*\)", "a(b(c)d)e(f)(g(h(i)))") == ["(b(c)d)", "(f)", "(g(h(i)))"]
assert regex.search(r"(?<=\b(?:Mr|Mrs|Dr)\.\s+)\w+", "Hello Mrs.  Smith").group() == "Smith"
assert regex.findall(r"(?V1)[[a-z]--[aeiou]]+", "hello world") == ["h", "ll", "w", "rld"]
assert regex.split(r"(?V1)\b", "a b") == ["", "a", " ", "b", ""]
assert regex.findall(r"\m\w+\M", "hi there") == ["hi", "there"]

# Named lists, repeated captures, reverse and overlapped searching, substitution forms.
assert regex.findall(r"\L<words>", "one two three four", words=["two", "four", "one"]) == ["one", "two", "four"]
m = regex.match(r"(?:(\w)\s*)+", "a b c")
assert m.captures(1) == ["a", "b", "c"] and m.starts(1) == [0, 2, 4] and m.group(1) == "c"
assert regex.search(r"(?r)\d+", "1 22 333 x").span() == (5, 8)
assert regex.findall(r"\d+", "1 22 333", overlapped=True) == ["1", "22", "2", "333", "33", "3"]
assert regex.sub(r"(\w+) (\w+)", r"\2 \1", "hello world") == "world hello"
assert regex.subf(r"(?P<a>\w+) (\w+)", "{2}-{a}", "hello world") == "world-hello"
assert regex.escape("a.b*c") == "a\\.b\\*c"
assert regex.match(r"(?P<x>a)(?P=x)", "aa").groupdict() == {"x": "a"}
assert regex.compile(r"\w+", regex.V1).flags & regex.V1

# The functions whose C signatures lack the argument CPython passes (adapted at the link).
m = regex.search(r"(\w)(\w)", "ab")
assert m.allspans() == ([(0, 2)], [(0, 1)], [(1, 2)])
assert m.allcaptures() == (["ab"], ["a"], ["b"])
assert regex.search(r"(?P<k>\w)(?P<v>\w)", "ab").capturesdict() == {"k": ["a"], "v": ["b"]}
p = regex.compile(r"(?i)a(?P<n>b)")
assert p.groupindex == {"n": 1}
assert pickle.loads(pickle.dumps(p)).match("AB").group("n") == "B"
assert regex.search("a", "xa", timeout=1.0).start() == 1
assert regex.search(r"x", "a" * 100000 + "x").start() == 100000
print("regex ok:", regex.__version__)
