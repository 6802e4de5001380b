"""The standard library works inside pylon: imports and real behaviour, not just imports."""
import asyncio
import datetime
import decimal
import hashlib
import json
import re
import sys
import unicodedata

assert sys.platform == "wasi", sys.platform
assert sys.prefix == "/usr/local", sys.prefix

doc = {"name": "pylon", "n": [1, 2.5, None, True], "nested": {"é": "ü"}}
assert json.loads(json.dumps(doc, ensure_ascii=False)) == doc
assert json.dumps({"b": 1, "a": 2}, sort_keys=True) == '{"a": 2, "b": 1}'

m = re.fullmatch(r"(?P<year>\d{4})-(?P<month>\d\d)", "2026-11")
assert m and m["year"] == "2026" and m["month"] == "11"
assert re.sub(r"\s+", " ", "a \t\n b") == "a b"

decimal.getcontext().prec = 50
third = decimal.Decimal(1) / decimal.Decimal(3)
assert str(third).startswith("0.333333333333333333333333333333333333333333333333")
assert decimal.Decimal("0.1") + decimal.Decimal("0.2") == decimal.Decimal("0.3")

when = datetime.datetime(2024, 2, 28, 23, 30, tzinfo=datetime.timezone.utc) + datetime.timedelta(hours=1)
assert when.isoformat() == "2024-02-29T00:30:00+00:00"
assert datetime.date(2026, 11, 22).isocalendar().week == 47


async def double(x):
    await asyncio.sleep(0.001)
    return 2 * x


async def main():
    return await asyncio.gather(*(double(i) for i in range(5)))


assert asyncio.run(main()) == [0, 2, 4, 6, 8]

assert unicodedata.name("é") == "LATIN SMALL LETTER E WITH ACUTE"
assert unicodedata.normalize("NFD", "é") == "e\u0301"

assert hashlib.sha256(b"abc").hexdigest() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

print("stdlib ok")
