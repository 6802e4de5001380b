"""Hostile inputs for the sqlite3 cap: random SQL, parameters of every type, corrupted
database files and failing callbacks; only Python exceptions may come out."""
import sqlite3

from pylon_hostile import Fuzz

fuzz = Fuzz()
con = sqlite3.connect(":memory:")
con.execute("create table t (a, b)")
con.executemany("insert into t values (?, ?)", [(i, str(i)) for i in range(100)])
con.create_function("boom", 1, lambda x: 1 / 0)
con.create_function("big", 1, lambda n: b"x" * n)
statements = [
    "select * from t where a = ?", "select boom(?)", "select big(?)", "insert into t values (?, ?)",
    "select zeroblob(?)", "select printf('%.*c', ?, 'x')", "select * from nope", "select ?; drop table t",
    "select substr(b, ?) from t", "select json(?)", "select hex(randomblob(?))",
]
params = fuzz.integers([0, 1, 2**31 - 1]) + fuzz.strings() + fuzz.data([b"\x00\xff"])
fuzz.drive(lambda sql, p: con.execute(sql, (p,) * sql.count("?")).fetchall(), statements, params)
fuzz.drive(lambda text: con.execute(text if isinstance(text, str) else "select 1").fetchall(), [s.replace("?", "1") for s in statements] + fuzz.strings())
fuzz.drive(lambda n: con.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, n), fuzz.integers())
con.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 10**9)

# Corrupted database files: a real one, bytes flipped and truncated.
good = sqlite3.connect("/good.db")
good.execute("create table x (a integer primary key, b text)")
good.executemany("insert into x (b) values (?)", [("row %d" % i,) for i in range(500)])
good.commit()
good.close()
with open("/good.db", "rb") as f:
    image = f.read()


def open_mutated(blob):
    with open("/bad.db", "wb") as f:
        f.write(blob if isinstance(blob, bytes) else b"")
    db = sqlite3.connect("/bad.db")
    try:
        db.execute("pragma integrity_check").fetchall()
        db.execute("select count(*), max(length(b)) from x").fetchall()
    finally:
        db.close()


fuzz.drive(open_mutated, [fuzz.mutate(image) for _ in range(40)], seconds=4)
fuzz.report()
