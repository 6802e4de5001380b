"""PyYAML inside pylon, over libyaml: yaml.__with_libyaml__ is set, the C loaders and
dumpers come from the compiled yaml._yaml (a builtin module of the interpreter), and
loading, dumping, events, tokens and error marks give the results worked out by hand."""
import datetime
import sys

import yaml

assert yaml.__with_libyaml__ is True
assert "yaml._yaml" in sys.builtin_module_names
assert yaml.CSafeLoader.__mro__[1] is yaml._yaml.CParser
assert yaml.CSafeDumper.__mro__[1] is yaml._yaml.CEmitter
assert yaml._yaml.get_version_string() == "0.2.5" and yaml._yaml.get_version() == (0, 2, 5)

doc = """\
name: pylon
list: [1, 2.5, -3, 0x1f, 0o17, .inf, ~, true, 'no', "\\xe9\\u263a"]
nested:
  - &anchor {a: 1, b: [x, y]}
  - *anchor
when: 2001-12-14t21:59:43.10-05:00
day: 2002-12-14
bin: !!binary aGVsbG8=
multi: |
  line1
  line2
folded: >
  a
  b
"""
v = yaml.load(doc, Loader=yaml.CSafeLoader)
minus5 = datetime.timezone(datetime.timedelta(hours=-5))
assert v == {
    "name": "pylon",
    "list": [1, 2.5, -3, 31, "0o17", float("inf"), None, True, "no", "\xe9\u263a"],
    "nested": [{"a": 1, "b": ["x", "y"]}, {"a": 1, "b": ["x", "y"]}],
    "when": datetime.datetime(2001, 12, 15, 2, 59, 43, 100000, tzinfo=datetime.timezone.utc),
    "day": datetime.date(2002, 12, 14),
    "bin": b"hello",
    "multi": "line1\nline2\n",
    "folded": "a b\n",
}, v
assert v["when"].tzinfo == minus5 and v["when"].hour == 21
assert v["nested"][0] is v["nested"][1]  # the alias is the anchored object itself

# The C emitter: block and flow styles, escapes, anchors, and a round trip.
out = yaml.dump(v, Dumper=yaml.CSafeDumper)
assert out == (
    "bin: !!binary |\n  aGVsbG8=\nday: 2002-12-14\nfolded: 'a b\n\n  '\nlist:\n- 1\n- 2.5\n- -3\n"
    "- 31\n- 0o17\n- .inf\n- null\n- true\n- 'no'\n- \"\\xE9\\u263A\"\nmulti: 'line1\n\n  line2\n\n  '\n"
    "name: pylon\nnested:\n- &id001\n  a: 1\n  b:\n  - x\n  - y\n- *id001\n"
    "when: 2001-12-14 21:59:43.100000-05:00\n"
), out
assert yaml.load(out, Loader=yaml.CSafeLoader) == v
assert yaml.dump({"b": [1, "two", None, True, 1.5, "é☺"], "a": {"k": "v: x"}}, Dumper=yaml.CSafeDumper,
                 allow_unicode=True) == "a:\n  k: 'v: x'\nb:\n- 1\n- two\n- null\n- true\n- 1.5\n- é☺\n"
assert yaml.dump({"b": [1, "two"], "a": "é☺"}, Dumper=yaml.CSafeDumper,
                 default_flow_style=True) == '{a: "\\xE9\\u263A", b: [1, two]}\n'

# Streams of documents, events, tokens and nodes from the C parser.
assert list(yaml.load_all("--- 1\n--- [a]\n...\n", Loader=yaml.CSafeLoader)) == [1, ["a"]]
assert [type(e).__name__ for e in yaml.parse("a: [1]", Loader=yaml.CSafeLoader)] == [
    "StreamStartEvent", "DocumentStartEvent", "MappingStartEvent", "ScalarEvent", "SequenceStartEvent",
    "ScalarEvent", "SequenceEndEvent", "MappingEndEvent", "DocumentEndEvent", "StreamEndEvent"]
assert [type(t).__name__ for t in yaml.scan("a: 1", Loader=yaml.CSafeLoader)] == [
    "StreamStartToken", "BlockMappingStartToken", "KeyToken", "ScalarToken", "ValueToken", "ScalarToken",
    "BlockEndToken", "StreamEndToken"]
node = yaml.compose("a: !x 1", Loader=yaml.CSafeLoader)
assert node.value[0][1].tag == "!x" and node.value[0][1].value == "1"

# Encodings: a BOM, UTF-8 bytes, UTF-16 bytes, and a 4-byte code point.
assert yaml.load("\ufeffk: \U0001f600", Loader=yaml.CSafeLoader) == {"k": "\U0001f600"}
assert yaml.load(b"k: \xc3\xa9", Loader=yaml.CSafeLoader) == {"k": "é"}
assert yaml.load("k: é".encode("utf-16"), Loader=yaml.CSafeLoader) == {"k": "é"}

# A syntax error is reported with libyaml's marks (0-based line 1, column 0).
try:
    yaml.load("a: [1", Loader=yaml.CSafeLoader)
    raise AssertionError("no error")
except yaml.parser.ParserError as e:
    assert "did not find expected ',' or ']'" in str(e), e
    assert (e.problem_mark.line, e.problem_mark.column) == (1, 0), e.problem_mark
print("pyyaml ok:", yaml.__version__, "libyaml", yaml._yaml.get_version_string())
