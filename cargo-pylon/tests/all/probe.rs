//! `cargo pylon probe` against the real CPython build on the real embedded wasmtime.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{probe, pylon, ready, workspace};

#[test]
fn stdlib_behaves_inside_the_component() {
    let run = probe(&["tests/stdlib_smoke.py"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.stdout(), "stdlib ok\n");
    // No "Could not find platform ... libraries" warnings: sys.prefix resolves.
    assert!(
        run.stderr().is_empty(),
        "unexpected stderr: {}",
        run.stderr()
    );
    run.assert_staging_removed();
}

#[test]
fn hello_example_sees_its_arguments() {
    let run = probe(&["examples/hello.py", "one", "--two"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stdout().contains("Hello from CPython 3.13.5 on wasi"),
        "{}",
        run.stdout()
    );
    assert!(
        run.stdout().contains("argv: ['one', '--two']"),
        "{}",
        run.stdout()
    );
    run.assert_staging_removed();
}

#[test]
fn code_arguments_go_to_sys_argv() {
    let run = probe(&["-c", "import sys; print(sys.argv)", "a", "--b"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.stdout(), "['-c', 'a', '--b']\n");
}

#[test]
fn the_launcher_accounts_for_each_phase_when_asked() {
    ready();
    let out = pylon(&["probe", "-c", "import time; time.sleep(0.2)"])
        .env("PYLON_PHASES", "1")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let phases = cargo_pylon::running::launch::phases::parse(&stderr)
        .unwrap_or_else(|| panic!("no phases in {stderr}"));
    let names: Vec<&str> = phases.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["load", "stage", "link", "instantiate", "run", "exit"]
    );
    // The sleep is in the run phase, and only there.
    let run = phases.iter().find(|(n, _)| n == "run").unwrap().1;
    assert!(run >= 200.0, "{stderr}");
    assert!(
        phases
            .iter()
            .filter(|(n, _)| n != "run")
            .all(|(_, ms)| *ms < 200.0),
        "{stderr}"
    );
    // Not asked, not printed.
    let quiet = probe(&["-c", "pass"]);
    assert!(
        !quiet.stderr().contains("pylon phases"),
        "{}",
        quiet.stderr()
    );
}

#[test]
fn exit_codes_pass_through() {
    for code in [0, 1, 3, 42, 255] {
        let run = probe(&["-c", &format!("import sys; sys.exit({code})")]);
        assert_eq!(run.code(), code, "sys.exit({code}): {}", run.stderr());
        run.assert_staging_removed();
    }
    let run = probe(&["-c", "raise ValueError('boom')"]);
    assert_eq!(run.code(), 1);
    assert!(
        run.stderr().contains("ValueError: boom"),
        "{}",
        run.stderr()
    );
}

#[test]
fn sys_exit_flushes_all_output() {
    // Far more than any pipe or stdio buffer holds, written without a newline at the end.
    let code = "import sys\nsys.stdout.write('x' * 300000)\nsys.stderr.write('err-tail')\nsys.stdout.write('END')\nsys.exit(7)";
    let run = probe(&["-c", code]);
    assert_eq!(run.code(), 7, "{}", run.stderr());
    let out = run.stdout();
    assert_eq!(out.len(), 300003);
    assert!(out.ends_with("xEND"));
    assert!(run.stderr().contains("err-tail"));
    run.assert_staging_removed();
}

#[test]
fn syntax_error_prints_a_traceback_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("broken.py");
    std::fs::write(&script, "print('fine')\ndef broken(:\n    pass\n").unwrap();
    let run = probe(&[script.to_str().unwrap()]);
    assert_eq!(run.code(), 1);
    assert!(run.stderr().contains("SyntaxError"), "{}", run.stderr());
    assert!(
        run.stderr().contains("broken.py\", line 2"),
        "{}",
        run.stderr()
    );
    run.assert_staging_removed();
}

#[test]
fn missing_script_is_a_clear_usage_error() {
    let run = probe(&["examples/no_such_script.py"]);
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr()
            .contains("cannot run examples/no_such_script.py: no such file"),
        "{}",
        run.stderr()
    );
    run.assert_staging_removed();
}

#[test]
fn host_files_outside_grants_are_invisible() {
    let code = r#"
import os
for path in ["/etc/passwd", "../../../../etc/passwd", "/root", "/usr/local/../../etc/hostname"]:
    try:
        open(path).read()
    except OSError as e:
        print("denied", path, type(e).__name__)
    else:
        print("READ", path)
print(sorted(os.listdir("/")))
"#;
    let run = probe(&["-c", code]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let out = run.stdout();
    assert!(!out.contains("READ"), "{out}");
    assert_eq!(out.matches("denied").count(), 4, "{out}");
    // The staging root holds the home folder and the mount points, nothing of the host.
    assert!(out.trim_end().ends_with("['home', 'usr']"), "{out}");
    run.assert_staging_removed();
}

#[test]
fn a_folder_granted_read_only_can_be_read_but_not_changed() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("in.txt"), "from host").unwrap();
    let code = r#"
print(open('/data/in.txt').read())
for attempt in (lambda: open('/data/in.txt', 'w'), lambda: open('/data/new.txt', 'w'),
                lambda: __import__('os').remove('/data/in.txt'), lambda: __import__('os').mkdir('/data/d')):
    try:
        attempt()
    except OSError:
        print("refused")
"#;
    let grant = format!("{}:/data:ro", data.path().display());
    let run = probe(&["--dir", &grant, "-c", code]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(
        run.stdout(),
        "from host\nrefused\nrefused\nrefused\nrefused\n"
    );
    assert_eq!(
        std::fs::read_to_string(data.path().join("in.txt")).unwrap(),
        "from host"
    );
    let left: Vec<_> = std::fs::read_dir(data.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "the guest changed a read-only folder");
    // `:rw` is the default, said out loud.
    let grant = format!("{}:/data:rw", data.path().display());
    let run = probe(&[
        "--dir",
        &grant,
        "-c",
        "open('/data/out.txt', 'w').write('x')",
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(data.path().join("out.txt").is_file());
}

#[test]
fn a_symlink_out_of_a_granted_folder_is_refused() {
    let data = tempfile::tempdir().unwrap();
    std::fs::create_dir(data.path().join("sub")).unwrap();
    let grant = format!("{}:/data", data.path().display());
    let code = r#"
import os
for target, link in [("../outside", "/data/rel"), ("../../../../etc", "/data/sub/deep"),
                     ("/etc/passwd", "/data/abs"), ("sub/../..", "/data/back"),
                     ("sub/x", "/data/inside"), ("../in.txt", "/data/sub/up")]:
    try:
        os.symlink(target, link)
        print(link, "made")
    except PermissionError:
        print(link, "refused")
"#;
    let run = probe(&["--dir", &grant, "-c", code]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(
        run.stdout(),
        "/data/rel refused\n/data/sub/deep refused\n/data/abs refused\n/data/back refused\n/data/inside made\n/data/sub/up made\n"
    );
    for name in ["rel", "sub/deep", "abs", "back"] {
        assert!(
            std::fs::symlink_metadata(data.path().join(name)).is_err(),
            "{name} exists"
        );
    }
}

#[test]
fn granted_folders_are_readable_and_writable() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("in.txt"), "from host").unwrap();
    let grant = format!("{}:/data", data.path().display());
    let code = "print(open('/data/in.txt').read()); open('/data/out.txt', 'w').write('from guest')";
    let run = probe(&["--dir", &grant, "--env", "GREETING=hi", "-c", code]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.stdout(), "from host\n");
    assert_eq!(
        std::fs::read_to_string(data.path().join("out.txt")).unwrap(),
        "from guest"
    );
    let run = probe(&[
        "--env",
        "GREETING=hi",
        "-c",
        "import os; print(os.environ['GREETING'])",
    ]);
    assert_eq!(run.stdout(), "hi\n");
}

#[test]
fn timeout_stops_an_infinite_loop() {
    let started = Instant::now();
    let run = probe(&["--timeout", "1.5", "-c", "while True: pass"]);
    assert_eq!(run.code(), 124, "{}", run.stderr());
    assert!(run.stderr().contains("timed out"), "{}", run.stderr());
    assert!(started.elapsed() < Duration::from_secs(20));
    run.assert_staging_removed();
    // A guest blocked in a host call (sleep) is stopped too.
    let run = probe(&["--timeout", "1", "-c", "import time; time.sleep(600)"]);
    assert_eq!(run.code(), 124, "{}", run.stderr());
    run.assert_staging_removed();
}

#[test]
fn timeout_and_signals_stop_a_guest_blocked_on_a_fifo_in_a_granted_folder() {
    let data = tempfile::tempdir().unwrap();
    let fifo = data.path().join("fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let grant = format!("{}:/data", data.path().display());
    // Opening a FIFO nobody writes blocks in the host, as does reading one.
    let read = "print('started', flush=True)\nprint(open('/data/fifo').read())";
    let started = Instant::now();
    let run = probe(&["--timeout", "1", "--dir", &grant, "-c", read]);
    assert_eq!(run.code(), 124, "{}", run.stderr());
    assert!(started.elapsed() < Duration::from_secs(20));
    run.assert_staging_removed();
    for (signal, code) in [("-INT", 130), ("-TERM", 143)] {
        let child = spawn_started(pylon(&["probe", "--dir", &grant, "-c", read]));
        std::thread::sleep(Duration::from_millis(200));
        let pid = child.id().to_string();
        assert!(Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
            .success());
        let stopped = Instant::now();
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stopped.elapsed() < Duration::from_secs(10));
    }
}

/// Objects of every kind left in reference cycles, collected while running and at exit:
/// a slot of the wrong type (methodcaller's tp_clear once returned void) traps then.
#[test]
fn a_broad_set_of_modules_and_cycles_of_their_objects_exit_cleanly() {
    let code = r#"
import argparse, array, ast, asyncio, base64, bisect, bz2, calendar, collections, contextlib
import contextvars, copy, csv, dataclasses, datetime, decimal, difflib, email.message, enum
import fractions, functools, gc, gzip, hashlib, heapq, hmac, html.parser, http.client, inspect
import io, ipaddress, itertools, json, logging, lzma, math, operator, pathlib, pickle, pprint
import queue, random, re, selectors, shlex, socket, sqlite3, statistics, string, struct
import tarfile, tempfile, textwrap, tomllib, typing, unicodedata, urllib.parse, uuid, weakref
import xml.dom.minidom, xml.etree.ElementTree, xml.sax, zipfile, zlib, zoneinfo
kept = []
def cycle(make):
    box = []
    box.append(make(box))
    kept.append(box) if len(kept) < 8 else None
makers = [
    lambda b: operator.methodcaller("append", b), lambda b: operator.attrgetter("x"),
    lambda b: operator.itemgetter(0), lambda b: functools.partial(print, b),
    lambda b: collections.OrderedDict(a=b), lambda b: collections.deque([b]),
    lambda b: collections.defaultdict(list, a=b), lambda b: array.array("b"),
    lambda b: xml.etree.ElementTree.Element("e", a=str(b)), lambda b: contextvars.copy_context(),
    lambda b: decimal.Context(), lambda b: datetime.timezone.utc, lambda b: io.BytesIO(),
    lambda b: iter([b]), lambda b: itertools.chain([b]), lambda b: weakref.WeakValueDictionary(),
    lambda b: re.compile("x"), lambda b: sqlite3.connect(":memory:"), lambda b: zlib.compressobj(),
    lambda b: hashlib.sha256(), lambda b: pickle.Pickler(io.BytesIO()), lambda b: lzma.LZMACompressor(),
    lambda b: bz2.BZ2Compressor(), lambda b: struct.Struct("i"), lambda b: memoryview(b"x"),
]
for make in makers * 3:
    cycle(make)
print("collected", gc.collect() > 0)
"#;
    let run = probe(&["-c", code]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.stdout().trim(), "collected True", "{}", run.stderr());
    assert!(!run.stderr().contains("trap"), "{}", run.stderr());
}

/// `probe FILE.py` as `python FILE.py`: the file's folder (read-only) holds what it
/// imports and reads, and the run works in the host's working folder when it can see it.
#[test]
fn a_script_sees_its_own_folder_read_only_and_works_where_python_would() {
    let tmp = tempfile::tempdir().unwrap();
    let top = tmp.path().canonicalize().unwrap();
    let sub = top.join("sub");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("helper.py"), "VALUE = 'from helper'\n").unwrap();
    std::fs::write(sub.join("data.csv"), "a,b\n").unwrap();
    let main = r#"
import os, sys, helper
print(helper.VALUE, os.getcwd(), sys.path[0], sys.argv[0])
print(open(os.path.join(os.path.dirname(__file__), "data.csv")).read().strip())
try:
    open(os.path.join(sys.path[0], "new.txt"), "w")
except OSError as e:
    print("read-only", type(e).__name__)
"#;
    std::fs::write(sub.join("main.py"), main).unwrap();
    ready();
    let run = |cwd: &std::path::Path, script: &str| {
        let out = pylon(&["probe", script]).current_dir(cwd).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let (s, t) = (sub.display(), top.display());
    assert_eq!(
        run(&sub, "main.py"),
        format!("from helper {s} {s} main.py\na,b\nread-only PermissionError\n")
    );
    assert_eq!(
        run(&top, "sub/main.py"),
        format!("from helper {t} {s} sub/main.py\na,b\nread-only PermissionError\n")
    );
    // A working folder the guest cannot see: the run works in `/`.
    let elsewhere = tempfile::tempdir().unwrap();
    assert!(run(elsewhere.path(), &format!("{s}/main.py"))
        .starts_with(&format!("from helper / {s} {s}/main.py\n")));
    assert!(!sub.join("new.txt").exists());
}

/// `probe -m MODULE` as `python -m MODULE`: the module runs as `__main__`, and the working
/// folder is on `sys.path` and readable.
#[test]
fn module_runs_as_python_m_does() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().canonicalize().unwrap();
    std::fs::write(dir.join("in.json"), "{\"a\": [1, 2]}").unwrap();
    std::fs::write(
        dir.join("mine.py"),
        "import sys; print(__name__, sys.argv[1:])\n",
    )
    .unwrap();
    ready();
    for cold in ["0", "1"] {
        let run = |args: &[&str]| {
            let out = pylon(&[&["probe"], args].concat())
                .current_dir(&dir)
                .env("PYLON_COLD", cold)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        assert_eq!(
            run(&["-m", "json.tool", "--compact", "in.json"]),
            "{\"a\":[1,2]}\n"
        );
        assert_eq!(run(&["-m", "mine", "x", "-y"]), "__main__ ['x', '-y']\n");
    }
    let missing = probe(&["-m", "no_such_module"]);
    assert_eq!(missing.code(), 1);
    assert!(
        missing.stderr().contains("No module named no_such_module"),
        "{}",
        missing.stderr()
    );
}

/// What WASI lacks and packages call at import answers as docs/RELIABILITY.md says.
#[test]
fn the_posix_identity_calls_home_and_ctypes_answer_as_documented() {
    let code = r#"
import os
from os import getuid, geteuid, getgid, getegid, getgroups, umask
print(getuid(), geteuid(), getgid(), getegid(), getgroups())
print(oct(umask(0o077)), oct(umask(0o022)))
home = os.path.expanduser("~")
open(os.path.join(home, "f"), "w").write("x")
print(os.environ["HOME"], home, os.listdir(home), os.stat(home).st_uid == getuid())
try:
    import ctypes
except ImportError as e:
    print("ctypes:", "libffi" in str(e))
import signal
print(os.getppid(), os.kill(os.getpid(), 0))
signal.signal(signal.SIGUSR1, lambda signum, frame: print("handled", signum == signal.SIGUSR1))
os.kill(os.getpid(), signal.SIGUSR1)
try:
    os.kill(0, signal.SIGINT)
except KeyboardInterrupt:
    print("KeyboardInterrupt")
for pid, sig in [(4242, 0), (os.getpid(), 9999)]:
    try:
        os.kill(pid, sig)
    except OSError as e:
        print(type(e).__name__)
"#;
    let run = probe(&["-c", code]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(
        run.stdout(),
        "1000 1000 1000 1000 []\n0o22 0o77\n/home /home ['f'] True\nctypes: True\n1 None\nhandled True\nKeyboardInterrupt\nProcessLookupError\nOSError\n"
    );
    let own = probe(&[
        "--env",
        "HOME=/elsewhere",
        "-c",
        "import os; print(os.path.expanduser('~'))",
    ]);
    assert_eq!(own.stdout().trim(), "/elsewhere");
}

#[test]
fn max_memory_stops_an_allocation_bomb() {
    let run = probe(&[
        "--max-memory",
        "64",
        "-c",
        "blocks = []\nwhile True: blocks.append(bytearray(1 << 20))",
    ]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(run.stderr().contains("MemoryError"), "{}", run.stderr());
    run.assert_staging_removed();
    // The same program with room to spare is not stopped.
    let run = probe(&[
        "--max-memory",
        "256",
        "-c",
        "b = bytearray(100 << 20); print(len(b))",
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
}

#[test]
fn max_disk_bounds_the_guests_own_root_with_enospc_and_gives_deleted_room_back() {
    let data = tempfile::tempdir().unwrap();
    let grant = format!("{}:/data", data.path().display());
    let code = r#"
import errno, os
mib = b"x" * (1 << 20)
def fill(path):
    n = 0
    try:
        with open(path, "wb") as f:
            while n < 64:
                f.write(mib); f.flush(); n += 1
    except OSError as e:
        return f"{n} {errno.errorcode[e.errno]}"
    return f"{n} ok"
print("root", fill("/big"))
for call in (lambda: os.truncate("/big", 1 << 30), lambda: os.pwrite(os.open("/p", os.O_WRONLY | os.O_CREAT), mib * 30, 0)):
    try:
        call(); print("grew")
    except OSError as e:
        print(errno.errorcode[e.errno])
os.remove("/big")
print("again", fill("/again"))
print("granted", fill("/data/big"))
"#;
    let run = probe(&["--max-disk", "20", "--dir", &grant, "-c", code]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let lines: Vec<String> = run.stdout().lines().map(str::to_string).collect();
    // 20 MiB fit exactly (with -c, the root holds nothing else).
    assert_eq!(
        lines,
        [
            "root 20 ENOSPC",
            "ENOSPC",
            "ENOSPC",
            "again 20 ENOSPC",
            "granted 64 ok"
        ],
        "{}",
        run.stderr()
    );
    run.assert_staging_removed();
    let bad = probe(&["--max-disk", "0", "-c", "pass"]);
    assert_eq!(bad.code(), 2, "{}", bad.stderr());
}

/// A command line's guest has no interruption checks compiled in: SIGINT and SIGTERM
/// still stop a pure compute loop, with their codes and messages, and the staging folder
/// goes.
#[test]
fn ctrl_c_and_sigterm_stop_a_compute_loop_and_clean_up() {
    ready();
    for (signal, code, name) in [("-INT", 130, "SIGINT"), ("-TERM", 143, "SIGTERM")] {
        let tmp = tempfile::tempdir().unwrap();
        let mut command = pylon(&[
            "probe",
            "-c",
            "print('started', flush=True)\nwhile True: pass",
        ]);
        command.env("TMPDIR", tmp.path());
        let child = spawn_started(command);
        let status = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{stderr}");
        assert!(
            stderr.contains(&format!("interrupted by {name}")),
            "{stderr}"
        );
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert!(left.is_empty(), "staging left behind: {left:?}");
    }
}

#[test]
fn second_run_does_not_recompile() {
    ready();
    let run = probe(&["-c", "pass"]);
    assert!(!run.stderr().contains("compiling"), "{}", run.stderr());
    assert!(workspace().join("examples/hello.py").is_file());
}

#[test]
fn doctor_reports_every_part_and_succeeds_when_bootstrapped() {
    ready();
    let out = pylon(&["doctor"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for part in [
        "clang-19",
        "lld-19",
        "wasi-sdk folder",
        "rust target wasm32-wasip2",
        "wasm-component-ld",
        "CPython 3.13.5 (WASI)",
    ] {
        assert!(
            text.contains(part),
            "doctor does not mention {part}: {text}"
        );
    }
    assert!(!text.contains("MISSING"), "{text}");
}

#[test]
fn doctor_with_a_broken_wasi_sdk_path_says_how_to_fix_it() {
    let out = pylon(&["doctor"])
        .env("WASI_SDK_PATH", "/nonexistent/wasi-sdk")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("MISSING")
            && text.contains("WASI_SDK_PATH=/nonexistent/wasi-sdk has no bin/clang"),
        "{text}"
    );
}

#[test]
fn the_workspace_interpreter_has_the_blake3_cap() {
    let run = probe(&["-c", "import blake3, sys; print(blake3.blake3(b'abc').hexdigest()[:16], 'blake3' in sys.modules)"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.stdout().ends_with(" True\n"), "{}", run.stdout());
}

#[test]
fn the_folders_above_a_mount_are_listable() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("mod_in_mount.py"), "VALUE = 42\n").unwrap();
    let grant = format!("{}:/srv/app/lib", data.path().display());
    let script = "import os, sys; sys.path.append('/srv/app/lib'); import mod_in_mount; print(sorted(os.listdir('/srv')), os.listdir('/srv/app'), 'usr' in os.listdir('/'), mod_in_mount.VALUE)";
    let run = probe(&["--dir", &grant, "-c", script]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.stdout().trim(), "['app'] ['lib'] True 42");
    run.assert_staging_removed();
}

#[test]
fn dev_null_reads_empty_and_discards_writes_with_nothing_on_the_host() {
    let script = r#"
import logging, os, stat
assert stat.S_ISCHR(os.stat(os.devnull).st_mode) and os.path.exists(os.devnull)
with open(os.devnull, "w") as f:
    assert f.write("x" * 1_000_000) == 1_000_000 and not f.isatty()
with open(os.devnull, "rb") as f:
    assert f.read() == b""
logging.basicConfig(filename=os.devnull)
logging.getLogger().warning("discarded")
fd = os.open(os.devnull, os.O_RDWR)
assert os.write(fd, b"abc") == 3 and os.read(fd, 10) == b""
os.close(fd)
try:
    os.write(fd, b"closed")
except OSError:
    pass
else:
    raise AssertionError("a closed /dev/null descriptor must fail")
print(sorted(os.listdir("/")))
"#;
    let run = probe(&["-c", script]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    // Nothing was written to the staging folder (or anywhere on the host).
    assert_eq!(run.stdout().trim(), "['home', 'usr']");
    run.assert_staging_removed();
}

#[test]
fn descriptors_duplicate_as_under_posix_stdout_redirects_to_a_file_and_back() {
    let script = r#"
import errno, os, sys
def fails(call, *args):
    try:
        call(*args)
    except OSError as e:
        return errno.errorcode[e.errno]
    return "no error"
saved = os.dup(1)
path = os.path.join(os.environ["HOME"], "out.txt")
fd = os.open(path, os.O_RDWR | os.O_CREAT)
assert os.dup2(fd, 1) == 1
print("captured line", flush=True)
os.write(1, b"raw bytes\n")
sys.stdout.flush()
os.dup2(saved, 1)
os.close(saved)
# The duplicate and the original share one open file: one offset.
assert os.lseek(fd, 0, os.SEEK_CUR) == 24, os.lseek(fd, 0, os.SEEK_CUR)
os.lseek(fd, 0, os.SEEK_SET)
print(repr(os.read(fd, 100)))
again = os.dup(fd)
assert os.fstat(again).st_ino == os.fstat(fd).st_ino
os.close(fd)
os.lseek(again, 0, os.SEEK_SET)
print(repr(os.read(again, 8)))
os.close(again)
print(fails(os.close, again), fails(os.dup, again), fails(os.dup2, again, 5), fails(os.fstat, 12345))
# A number a duplicate took is not handed out again by open().
low = os.open(path, os.O_RDONLY)
os.dup2(0, low + 1)
other = os.open(path, os.O_RDONLY)
assert other not in (low, low + 1), (low, other)
assert os.read(other, 7) == b"capture"
for n in (low, low + 1, other):
    os.close(n)
print("back on stdout")
"#;
    let run = probe(&["-c", script]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(
        run.stdout(),
        "b'captured line\\nraw bytes\\n'\nb'captured'\nEBADF EBADF EBADF EBADF\nback on stdout\n"
    );
}

#[test]
fn zoneinfo_finds_every_iana_key_from_the_pinned_tzdata() {
    let script = "import datetime, zoneinfo; z = zoneinfo.available_timezones(); print(len(z) > 500, 'Europe/Paris' in z, datetime.datetime(2026, 7, 1, 12, tzinfo=datetime.UTC).astimezone(zoneinfo.ZoneInfo('Europe/Paris')).isoformat())";
    let run = probe(&["-c", script]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.stdout().trim(), "True True 2026-07-01T14:00:00+02:00");
}

/// `command` spawned with its output piped, once the guest has printed `started`.
fn spawn_started(mut command: Command) -> std::process::Child {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "started\n");
    child
}
