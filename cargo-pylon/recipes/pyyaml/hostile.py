"""Hostile inputs for the pyyaml cap: malformed, truncated, bit-flipped and spliced YAML,
bad encodings, nesting, streams that misbehave and wrong arguments into libyaml's C
loader (CSafeLoader) and emitter (CSafeDumper); only Python exceptions may come out."""
import io

import yaml

from pylon_hostile import WRONG_TYPES, Fuzz

SAMPLES = [
    b"a: 1\nb: [x, y, {c: d}]\n",
    b"- &a [1, 2]\n- *a\n- !!binary aGVsbG8=\n- 2001-12-14t21:59:43.10-05:00\n",
    b"%YAML 1.1\n%TAG !e! tag:example.com,2000:\n--- !e!foo \"bar\\x41\\u263a\"\n...\n--- |\n  text\n",
    b"? [complex, key]\n: >-\n  folded\n  text\n'q''uote': \"\\U0001f600\"\n",
    "\ufeffk: é\n".encode("utf-16"),
]


def load(data):
    return yaml.load(data, Loader=yaml.CSafeLoader)


def load_text(data):
    return yaml.load(data.decode("utf-8", "replace") if isinstance(data, bytes) else data, Loader=yaml.CSafeLoader)


def events(data):
    return list(yaml.parse(data, Loader=yaml.CSafeLoader))


def tokens(data):
    return list(yaml.scan(data, Loader=yaml.CSafeLoader))


def all_docs(data):
    return list(yaml.load_all(data, Loader=yaml.CSafeLoader))


class BadStream:
    """A stream whose read() answers with wrong types or raises."""

    def __init__(self, answer):
        self.answer = answer
        self.left = 50

    def read(self, size=-1):
        if isinstance(self.answer, Exception):
            raise self.answer
        self.left -= 1
        return self.answer if self.left > 0 else ""


fuzz = Fuzz(seconds=1.0)  # fourteen drives: about 15 seconds in all
data = fuzz.data(SAMPLES)
# libyaml's parser keeps its own stack, but yaml._yaml composes nodes (and serializes them)
# by C recursion without a depth limit: some 9,000 levels of "[" or "- " overflow the
# interpreter's C stack and trap (natively they crash too, deeper). Nesting here stays
# well within it.
texts = [
    "[" * 2000, "{a: " * 2000, "- " * 2000 + "x", "[" * 2000 + "]" * 2000,
    "&a [*a]", "*nope", "!!binary ~~~", "!!int 0xZZ", "!!float x", "!!timestamp 2001-99-99",
    "a: 1\na: 2", "? " * 500, "'unterminated", '"\\x"', '"\\uD800"', "\t", "\x00", "\udcff: x",
    "%YAML 9.9\n--- 1", "%TAG ! !\n%TAG ! !\n--- 1", "!<tag:\x01> x", "&" + "a" * 100000 + " 1",
    "key: " + "v" * 200000, "---\n" * 2000, "a:\n" + "  b:\n" * 300,
]
fuzz.drive(load, data + texts)
fuzz.drive(load_text, data)
fuzz.drive(events, data + texts)
fuzz.drive(tokens, data + texts)
fuzz.drive(all_docs, data + texts)
fuzz.drive(lambda a: load(BadStream(a)), ["a: 1", b"a: 1", b"\xff\xfe", 5, None, ValueError("read failed"), "\udcff"])
fuzz.drive(lambda s: yaml.compose(s, Loader=yaml.CSafeLoader), data + texts)

# The emitter: values it cannot represent, wrong options, and nodes built by hand.
values = [{"a": [1, 2]}, "\udcff", "\x00\x85\u2028", "x" * 100000, b"\xff" * 100, object(), {(): 1},
          float("nan"), 10**40, [None] * 1000]
fuzz.drive(lambda v, w, i: yaml.dump(v, Dumper=yaml.CSafeDumper, width=w, indent=i), values,
           fuzz.integers(), fuzz.integers())
fuzz.drive(lambda v, e: yaml.dump(v, Dumper=yaml.CSafeDumper, encoding=e), values,
           ["utf-8", "utf-16-le", "utf-16-be", "ascii", "no-such", None] + WRONG_TYPES)
fuzz.drive(lambda v, b: yaml.dump(v, Dumper=yaml.CSafeDumper, line_break=b, allow_unicode=True, canonical=True),
           values, ["\n", "\r", "\r\n", "x", None, 5])
fuzz.drive(lambda v, s: yaml.dump(v, Dumper=yaml.CSafeDumper, default_style=s, explicit_start=True,
                                  version=(1, 1), tags={"!e!": "tag:e,2000:"}), values, ['"', "'", "|", ">", "x", 5])
fuzz.drive(lambda v: yaml.dump(v, Dumper=yaml.CSafeDumper, version=v), [(1, 1), (9, 9), (), ("a", "b"), None, 5])
nodes = [yaml.ScalarNode("tag:yaml.org,2002:str", "x"), yaml.ScalarNode(None, None), yaml.ScalarNode(5, 5),
         yaml.SequenceNode("tag:yaml.org,2002:seq", [5]), yaml.MappingNode("tag:yaml.org,2002:map", [(1, 2, 3)]),
         yaml.MappingNode("!x", "not a list"), yaml.SequenceNode("!x", None), "not a node", None]
nested = yaml.ScalarNode("tag:yaml.org,2002:str", "x")
for _ in range(2000):
    nested = yaml.SequenceNode("tag:yaml.org,2002:seq", [nested])
fuzz.drive(lambda n: yaml.serialize(n, Dumper=yaml.CSafeDumper), nodes + [nested])
fuzz.drive(lambda e: yaml.emit(e, Dumper=yaml.CSafeDumper),
           [[yaml.StreamStartEvent()], [yaml.ScalarEvent(None, None, (True, False), "x")], [yaml.StreamEndEvent()],
            [yaml.StreamStartEvent(), yaml.DocumentStartEvent(), yaml.MappingEndEvent()], [None], [5], None])
stream = io.StringIO()
dumper = yaml.CSafeDumper(stream)
fuzz.call(dumper.serialize, nodes[0])  # before open(): an EmitterError
fuzz.call(dumper.open)
fuzz.call(dumper.open)
fuzz.call(dumper.close)
fuzz.call(dumper.serialize, nodes[0])  # after close(): an EmitterError
fuzz.report()
