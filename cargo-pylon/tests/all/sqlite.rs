//! One SQLite database shared by pylon runs and native SQLite: the locks are the host's
//! own (open file description locks the launcher takes for the guest), so writers exclude
//! each other as on Linux, nothing committed is lost, and a run that ends any way at all
//! leaves no lock behind.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{probe, pylon, ready};

/// Commits `argv[3]` rows (or forever) named `argv[2]` to the database `argv[1]`, one
/// transaction each, printing each row's number once its commit returned.
const WRITER: &str = r#"
import sqlite3, sys
path, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
db = sqlite3.connect(path, timeout=60)
i = 0
while n < 0 or i < n:
    db.execute("insert into t values (?, ?)", (name, i))
    db.commit()
    print(i, flush=True)
    i += 1
"#;

/// The native CPython the tests compare with.
fn python3() -> Command {
    Command::new(std::env::var("PYLON_NATIVE_PYTHON").unwrap_or_else(|_| "python3".into()))
}

fn native(code: &str, args: &[&str]) -> String {
    let out = python3()
        .arg("-c")
        .arg(code)
        .args(args)
        .output()
        .expect("native python3 runs (set PYLON_NATIVE_PYTHON to another)");
    assert!(
        out.status.success(),
        "native python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A database in a fresh folder, with the table the writers fill.
fn database() -> (tempfile::TempDir, String) {
    let data = tempfile::tempdir().unwrap();
    let db = data.path().join("app.db");
    native(
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('create table t (who, i)'); c.commit()",
        &[db.to_str().unwrap()],
    );
    let grant = format!("{}:/data", data.path().display());
    (data, grant)
}

/// Rows per writer, and SQLite's own verdict on the file.
fn rows_and_integrity(data: &Path) -> (Vec<(String, u64)>, String) {
    let out = native(
        "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nfor who, n in c.execute('select who, count(*) from t group by who order by who'): print(who, n)\nprint(c.execute('pragma integrity_check').fetchone()[0])",
        &[data.join("app.db").to_str().unwrap()],
    );
    let mut lines: Vec<&str> = out.lines().collect();
    let verdict = lines.pop().unwrap_or_default().to_string();
    let rows = lines
        .iter()
        .map(|l| {
            let (who, n) = l.split_once(' ').unwrap();
            (who.to_string(), n.parse().unwrap())
        })
        .collect();
    (rows, verdict)
}

fn pylon_writer(grant: &str, name: &str, n: i64) -> Child {
    ready();
    pylon(&[
        "probe",
        "--dir",
        grant,
        "-c",
        WRITER,
        "/data/app.db",
        name,
        &n.to_string(),
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap()
}

/// Acknowledged commits a writer printed, and its stderr, once it ends.
fn acknowledged(child: Child) -> (u64, String, std::process::ExitStatus) {
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).lines().count() as u64,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status,
    )
}

#[test]
fn pylon_and_native_writers_share_a_database_and_lose_no_commit() {
    let (data, grant) = database();
    let db = data.path().join("app.db");
    let n = 150;
    let writers = vec![
        ("a-pylon", pylon_writer(&grant, "a-pylon", n)),
        ("b-pylon", pylon_writer(&grant, "b-pylon", n)),
        (
            "c-native",
            python3()
                .args([
                    "-c",
                    WRITER,
                    db.to_str().unwrap(),
                    "c-native",
                    &n.to_string(),
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        ),
    ];
    let mut acked = Vec::new();
    for (name, child) in writers {
        let (count, stderr, status) = acknowledged(child);
        assert!(status.success(), "{name} failed: {stderr}");
        acked.push((name.to_string(), count));
    }
    let (rows, verdict) = rows_and_integrity(data.path());
    assert_eq!(verdict, "ok");
    assert_eq!(rows, acked, "rows present vs commits acknowledged");
    assert!(acked.iter().all(|(_, c)| *c == n as u64), "{acked:?}");
    assert!(!data.path().join("app.db.lock").exists(), "no lock folder");
}

#[test]
fn a_reader_goes_on_while_another_interpreter_writes_and_a_second_writer_waits() {
    let (data, grant) = database();
    // The writer holds an open write transaction until the test lets it go.
    let writer = "import os, sqlite3, time\nc = sqlite3.connect('/data/app.db')\nc.execute('insert into t values (1, 1)')\nopen('/data/holding', 'w').close()\nwhile not os.path.exists('/data/go'): time.sleep(0.02)\nc.commit(); c.close()";
    let mut held = pylon(&["probe", "--dir", &grant, "-c", writer])
        .spawn()
        .unwrap();
    wait_for(&data.path().join("holding"));
    // As on Linux: readers see the last commit; writers wait (here: for 0.2 s).
    let read = "import sqlite3\nprint(sqlite3.connect('/data/app.db', timeout=0.2).execute('select count(*) from t').fetchone())";
    let reader = probe(&["--dir", &grant, "-c", read]);
    assert_eq!(reader.stdout().trim(), "(0,)", "{}", reader.stderr());
    let write = "import sqlite3\ntry:\n    c = sqlite3.connect('/data/app.db', timeout=0.2); c.execute('insert into t values (2, 2)'); c.commit(); print('wrote')\nexcept sqlite3.OperationalError as e:\n    print('error:', e)";
    let blocked = probe(&["--dir", &grant, "-c", write]);
    assert_eq!(
        blocked.stdout().trim(),
        "error: database is locked",
        "{}",
        blocked.stderr()
    );
    let native_write = native(
        "import sqlite3, sys\ntry:\n    c = sqlite3.connect(sys.argv[1], timeout=0.2); c.execute('insert into t values (3, 3)'); c.commit(); print('wrote')\nexcept sqlite3.OperationalError as e:\n    print('error:', e)",
        &[data.path().join("app.db").to_str().unwrap()],
    );
    assert_eq!(native_write, "error: database is locked");
    std::fs::write(data.path().join("go"), b"").unwrap();
    assert!(held.wait().unwrap().success());
    assert_eq!(
        probe(&["--dir", &grant, "-c", write]).stdout().trim(),
        "wrote"
    );
    assert!(!data.path().join("app.db.lock").exists(), "no lock folder");
}

#[test]
fn a_run_ended_by_kill_term_or_timeout_in_a_transaction_leaves_no_lock_and_loses_no_commit() {
    let (data, grant) = database();
    let db = data.path().join("app.db");
    // A native writer commits throughout; it must never see an error.
    let mut native_writer = python3()
        .args(["-c", WRITER, db.to_str().unwrap(), "native", "-1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut expected = Vec::new();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    for round in 0..4u64 {
        let name = format!("killed-{round}");
        let mut child = pylon_writer(&grant, &name, -1);
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        // Killed after a pseudo-random number of its commits: mid-transaction or between.
        let after = 1
            + (seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(round * 1442695040888963407)
                >> 59);
        let mut seen = 0;
        while seen < after {
            match lines.next() {
                Some(Ok(_)) => seen += 1,
                _ => panic!("{name} stopped early: {}", stderr_of(&mut child)),
            }
        }
        if round % 2 == 0 {
            child.kill().unwrap();
        } else {
            let pid = child.id().to_string();
            assert!(Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success());
        }
        child.wait().unwrap();
        // Whatever was printed before the kill was committed.
        seen += lines.map_while(Result::ok).count() as u64;
        expected.push((name, seen));
    }
    // A writer stopped by --timeout while it holds a write transaction.
    let hold = "import sqlite3, time\nc = sqlite3.connect('/data/app.db')\nc.execute('begin immediate')\nc.execute(\"insert into t values ('timed-out', 0)\")\ntime.sleep(60)";
    let timed_out = probe(&["--timeout", "2", "--dir", &grant, "-c", hold]);
    assert_eq!(timed_out.code(), 124, "{}", timed_out.stderr());
    // Nothing stale: a writer that will not wait at all gets the database at once, once
    // the native writer is done.
    native_writer.kill().unwrap();
    let (native_count, stderr, _) = acknowledged(native_writer);
    assert!(!stderr.contains("Error"), "the native writer saw: {stderr}");
    let now = "import sqlite3\nc = sqlite3.connect('/data/app.db', timeout=0, isolation_level=None)\nc.execute('begin immediate'); c.execute(\"insert into t values ('after', 0)\"); c.execute('commit'); print('wrote')";
    let after = probe(&["--dir", &grant, "-c", now]);
    assert_eq!(after.stdout().trim(), "wrote", "{}", after.stderr());
    let (rows, verdict) = rows_and_integrity(data.path());
    assert_eq!(verdict, "ok");
    let count = |who: &str| rows.iter().find(|(w, _)| w == who).map_or(0, |(_, n)| *n);
    for (name, seen) in &expected {
        // The commit in flight when it died may have landed without being printed.
        let present = count(name);
        assert!(
            present == *seen || present == seen + 1,
            "{name}: {seen} acknowledged, {present} present"
        );
    }
    assert!(
        count("native") >= native_count,
        "native commits lost: {rows:?}"
    );
    assert_eq!(count("timed-out"), 0, "an uncommitted row survived");
    assert_eq!(count("after"), 1);
    assert!(!data.path().join("app.db.lock").exists(), "no lock folder");
}

fn wait_for(file: &Path) {
    let started = Instant::now();
    while !file.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{} never appeared",
            file.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stderr_of(child: &mut Child) -> String {
    let _ = child.kill();
    let mut text = String::new();
    if let Some(mut err) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut err, &mut text);
    }
    text
}
