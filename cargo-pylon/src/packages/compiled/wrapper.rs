//! The compiler a build backend is given, and the flags every file it compiles takes.

/// Flags every C and C++ file of a distribution takes: WASI's emulations of POSIX parts
/// the interpreter links, which packages' portable code reaches for (threads among them:
/// creating one fails, as `threading` does); and Cython's module
/// strings left uncompressed, since Cython 3.2 would decompress them with `zlib` at
/// import, a module the interpreter has only with the zlib cap.
pub const CFLAGS: &[&str] = &[
    "-D_WASI_EMULATED_PTHREAD",
    "-D_WASI_EMULATED_SIGNAL",
    "-D_WASI_EMULATED_PROCESS_CLOCKS",
    "-D_WASI_EMULATED_MMAN",
    "-DCYTHON_COMPRESS_STRINGS=0",
];

/// The compiler wrapper: the WASI compiler itself for compiling (noting in
/// `PYLON_CXX_MARK` that C++ was compiled, which Cython's output can be though the sdist
/// holds none); for a link with `-shared`
/// (an extension module) a relocatable link (`wasm-ld -r`) of the objects and archives
/// named, with each `-lNAME` found as `libNAME.a` in the `-L` folders (a C library pylon
/// built for the package; one not found there, such as `-lm`, is the interpreter's own
/// libc's), which [`super::isolate`] then closes over its own symbols.
pub const CC: &str = r#"#!/bin/sh
# pylon: compile with the WASI compiler; link an extension module into one relocatable object.
compiler="$1"; shift
case "$compiler" in
  *++) [ -z "$PYLON_CXX_MARK" ] || : > "$PYLON_CXX_MARK" ;;
esac
case " $* " in
  *" -shared "*) ;;
  *) exec "$compiler" "$@" ;;
esac
out=; take=; dirs=
set -- "$@" --pylon-end
for arg in "$@"; do
  if [ "$arg" = --pylon-end ]; then break; fi
  if [ -n "$take" ]; then
    case "$take" in
      o) out=$arg ;;
      L) dirs="$dirs $arg" ;;
    esac
    take=; continue
  fi
  case "$arg" in
    -o) take=o ;;
    -L) take=L ;;
    -L*) dirs="$dirs ${arg#-L}" ;;
    -l*)
      for dir in $dirs; do
        if [ -f "$dir/lib${arg#-l}.a" ]; then set -- "$@" "$dir/lib${arg#-l}.a"; break; fi
      done ;;
    *.o|*.obj|*.a) set -- "$@" "$arg" ;;
    -Wl,--whole-archive|-Wl,--no-whole-archive) set -- "$@" "${arg#-Wl,}" ;;
  esac
done
while [ "$1" != --pylon-end ]; do shift; done
shift
[ -n "$out" ] || { echo "pylon-cc: a shared link without -o" >&2; exit 2; }
exec "$PYLON_WASM_LD" -r -o "$out" "$@"
"#;

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;

    /// The wrapper's link, with `echo` standing in for wasm-ld: what it would link.
    fn link(args: &[&str], dir: &std::path::Path) -> String {
        let script = dir.join("cc");
        std::fs::write(&script, super::CC).unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let out = Command::new(&script)
            .arg("/bin/false")
            .args(args)
            .env("PYLON_WASM_LD", "echo")
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    #[test]
    fn a_shared_link_becomes_a_relocatable_one_with_the_libraries_pylon_built() {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().join("prefix/lib");
        std::fs::create_dir_all(&lib).unwrap();
        std::fs::write(lib.join("libyaml.a"), b"").unwrap();
        let libdir = lib.display().to_string();
        let linked = link(
            &[
                "-shared",
                "a.o",
                "-L",
                &libdir,
                "-lyaml",
                "-lm",
                "-o",
                "_yaml.so",
                "b.o",
                "-Wl,--whole-archive",
                "c.a",
                "-Wl,--no-whole-archive",
                "-Wl,-z,relro",
            ],
            dir.path(),
        );
        assert_eq!(
            linked,
            format!(
                "-r -o _yaml.so a.o {libdir}/libyaml.a b.o --whole-archive c.a --no-whole-archive"
            )
        );
        let joined = link(
            &[
                "-shared",
                &format!("-L{libdir}"),
                "-lyaml",
                "x.o",
                "-o",
                "m.so",
            ],
            dir.path(),
        );
        assert_eq!(joined, format!("-r -o m.so {libdir}/libyaml.a x.o"));
    }
}
