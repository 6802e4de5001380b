//! The CPython extension and `.pyi` stub pylon generates from a cap's import world, for
//! the `kinds` fixture (every WIT kind the generator supports), against golden files.

use std::collections::BTreeMap;

use cargo_pylon::generation::bindgen::{self, Wit};
use cargo_pylon::generation::cgen;

use crate::golden::{assert_golden, workspace};

fn generate_with(errors: &[(&str, &str)], isolated: bool) -> anyhow::Result<cgen::Generated> {
    let fixture = workspace().join("tests/fixtures/kinds");
    let mut wit = Wit::load(&fixture.join("wit"), "kinds-ext")?;
    let out = tempfile::tempdir()?;
    let bindings = bindgen::generate(&mut wit, out.path())?;
    let header_name = format!("{}.h", wit.c_prefix());
    let header = std::fs::read_to_string(bindings.dir.join(&header_name))?;
    let errors: BTreeMap<String, String> = errors
        .iter()
        .map(|(case, exception)| (case.to_string(), exception.to_string()))
        .collect();
    cgen::generate(
        &wit.resolve,
        wit.world,
        &header,
        &header_name,
        "_kinds_cap",
        &errors,
        isolated,
    )
}

fn generate(isolated: bool) -> cgen::Generated {
    generate_with(&[("green", "KeyError")], isolated).unwrap()
}

#[test]
fn the_kinds_extension_is_generated_as_its_golden_files() {
    let generated = generate(false);
    assert!(
        generated.c.contains("PyExc_KeyError"),
        "the error mapping is used"
    );
    let golden = workspace().join("tests/fixtures/kinds/golden");
    assert_golden(&golden.join("_kinds_cap.c.golden"), &generated.c);
    assert_golden(&golden.join("_kinds_cap.pyi.golden"), &generated.stub);
}

#[test]
fn an_isolated_extension_asks_after_every_call_whether_its_provider_crashed() {
    let (plain, isolated) = (generate(false).c, generate(true).c);
    let check = "if (pylon_cap_crashed()) Py_CLEAR(result);";
    let wrappers = |c: &str| {
        c.matches("    arena_release(&arena);\n    return result;\n}")
            .count()
    };
    assert!(
        !plain.contains(check),
        "a static extension asks for crashes"
    );
    assert!(
        wrappers(&isolated) > 40,
        "the fixture's functions were generated"
    );
    assert_eq!(
        isolated.matches(check).count(),
        wrappers(&isolated),
        "every wrapper checks"
    );
}

#[test]
fn an_error_mapping_to_a_name_that_is_not_a_builtin_exception_is_refused() {
    let message = match generate_with(&[("green", "NoSuchError")], false) {
        Ok(_) => panic!("an unknown exception was accepted"),
        Err(err) => format!("{err:#}"),
    };
    assert!(message.contains("\"NoSuchError\""), "{message}");
    assert!(
        message.contains("ValueError"),
        "the message lists what is allowed: {message}"
    );
}
