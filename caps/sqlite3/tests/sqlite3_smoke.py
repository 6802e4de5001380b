"""sqlite3 inside pylon: CPython's own module, callbacks into Python, and a database file."""
import sqlite3

con = sqlite3.connect("/smoke.db")
con.execute("create table t (id integer primary key, name text, score real)")
con.executemany("insert into t (name, score) values (?, ?)", [(f"n{i}", i / 2) for i in range(1000)])
con.execute("create index t_name on t (name)")
con.commit()
assert con.execute("select count(*), sum(score) from t").fetchone() == (1000, 249750.0)
assert con.execute("select id from t where name = ?", ("n500",)).fetchone() == (501,)

# Python callbacks: functions, aggregates, collations, authorizers, progress handlers.
con.create_function("double", 1, lambda x: x * 2, deterministic=True)
assert con.execute("select double(21)").fetchone() == (42,)


class Product:
    def __init__(self):
        self.value = 1

    def step(self, x):
        self.value *= x

    def finalize(self):
        return self.value


con.create_aggregate("product", 1, Product)
assert con.execute("select product(id) from t where id <= 5").fetchone() == (120,)
con.create_collation("reverse", lambda a, b: (a < b) - (a > b))
assert [r[0] for r in con.execute("select name from t where id <= 3 order by name collate reverse")] == ["n2", "n1", "n0"]
calls = []
con.set_progress_handler(lambda: calls.append(1) and 0, 100)
con.execute("select count(*) from t a, t b where a.id < 50 and b.id < 50").fetchone()
assert calls, "the progress handler was called"
con.set_authorizer(lambda *args: sqlite3.SQLITE_DENY if args[1] == "t" and args[0] == sqlite3.SQLITE_DELETE else sqlite3.SQLITE_OK)
try:
    con.execute("delete from t")
except sqlite3.DatabaseError:
    pass
else:
    raise AssertionError("the authorizer must deny")
con.close()

# A file that is not a database is the module's own exception.
with open("/not.db", "wb") as f:
    f.write(b"this is not a database" * 100)
try:
    sqlite3.connect("/not.db").execute("select * from sqlite_master").fetchall()
except sqlite3.DatabaseError:
    pass
else:
    raise AssertionError("a corrupt file must raise sqlite3.DatabaseError")
print("sqlite3 ok")
