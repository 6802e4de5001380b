//! The wasi:cli interfaces a Rust cap imports that the wasi:http/proxy world does not
//! offer (environment, exit, terminals), answered inside the component.
//!
//! A cap built for wasm32-wasip2 imports them through its libc (its environment at
//! start-up, `exit` on abort, the terminals for `isatty`). In a proxy component they get
//! what a host with nothing to give would answer: no variables, no arguments, no working
//! folder, no terminal; `exit` traps, ending the request's instance.
//! The stub is a core module written here, encoded as a component with wit-component.

use anyhow::{Context, Result};
use wasm_encoder::{
    CodeSection, ConstExpr, DataSection, ExportKind, ExportSection, Function, FunctionSection,
    Instruction, MemorySection, MemoryType, Module, TypeSection, ValType,
};

/// The interfaces the stub provides (their names without version).
pub const PROVIDED: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
];

/// The world of the stub at wasi:cli `version`.
fn wit(version: &str) -> String {
    format!(
        r#"package wasi:cli@{version};
interface environment {{
    get-environment: func() -> list<tuple<string, string>>;
    get-arguments: func() -> list<string>;
    initial-cwd: func() -> option<string>;
}}
interface exit {{
    exit: func(status: result);
}}
interface terminal-input {{
    resource terminal-input;
}}
interface terminal-output {{
    resource terminal-output;
}}
interface terminal-stdin {{
    use terminal-input.{{terminal-input}};
    get-terminal-stdin: func() -> option<terminal-input>;
}}
interface terminal-stdout {{
    use terminal-output.{{terminal-output}};
    get-terminal-stdout: func() -> option<terminal-output>;
}}
interface terminal-stderr {{
    use terminal-output.{{terminal-output}};
    get-terminal-stderr: func() -> option<terminal-output>;
}}
world cli-stub {{
    export environment;
    export exit;
    export terminal-input;
    export terminal-output;
    export terminal-stdin;
    export terminal-stdout;
    export terminal-stderr;
}}
"#
    )
}

/// Where each answer lies in the stub's memory: zeroes, which read as an empty list or
/// `none` in the canonical ABI.
const ZEROES: u64 = 16;

/// The stub component for wasi:cli `version` (for example `0.2.6`).
pub fn component(version: &str) -> Result<Vec<u8>> {
    let mut resolve = wit_parser::Resolve::default();
    let package = resolve
        .push_str("cli-stub.wit", &wit(version))
        .context("the wasi:cli stub's WIT does not parse")?;
    let world = resolve.select_world(&[package], Some("cli-stub"))?;

    let mut types = TypeSection::new();
    types.ty().function([], [ValType::I32]); // 0: () -> pointer to the result
    types.ty().function([ValType::I32], []); // 1: exit(status)
    let mut functions = FunctionSection::new();
    let mut exports = ExportSection::new();
    let mut code = CodeSection::new();
    let interface = |name: &str| format!("wasi:cli/{name}@{version}");
    let answers = [
        ("environment", "get-environment"),
        ("environment", "get-arguments"),
        ("environment", "initial-cwd"),
        ("terminal-stdin", "get-terminal-stdin"),
        ("terminal-stdout", "get-terminal-stdout"),
        ("terminal-stderr", "get-terminal-stderr"),
    ];
    for (index, (iface, func)) in answers.iter().enumerate() {
        functions.function(0);
        exports.export(
            &format!("{}#{func}", interface(iface)),
            ExportKind::Func,
            index as u32,
        );
        let mut body = Function::new([]);
        body.instruction(&Instruction::I32Const(ZEROES as i32))
            .instruction(&Instruction::End);
        code.function(&body);
    }
    functions.function(1);
    exports.export(
        &format!("{}#exit", interface("exit")),
        ExportKind::Func,
        answers.len() as u32,
    );
    let mut body = Function::new([]);
    body.instruction(&Instruction::Unreachable)
        .instruction(&Instruction::End);
    code.function(&body);

    let memories = memory(Some(1));
    exports.export("memory", ExportKind::Memory, 0);
    let mut data = DataSection::new();
    data.active(0, &ConstExpr::i32_const(ZEROES as i32), [0u8; 16]);

    let mut module = module(&types, &functions, &memories, &exports, &code);
    module.section(&data);
    encode(module.finish(), &resolve, world, "the wasi:cli stub")
}

/// A stub's core module: its sections in the order wasm wants them (data may follow).
pub(super) fn module(
    types: &TypeSection,
    functions: &FunctionSection,
    memories: &MemorySection,
    exports: &ExportSection,
    code: &CodeSection,
) -> Module {
    let mut module = Module::new();
    module
        .section(types)
        .section(functions)
        .section(memories)
        .section(exports)
        .section(code);
    module
}

/// A stub's one memory: a page, growing up to `maximum` pages.
pub(super) fn memory(maximum: Option<u64>) -> MemorySection {
    let mut memories = MemorySection::new();
    memories.memory(MemoryType {
        minimum: 1,
        maximum,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    memories
}

/// The component of a stub's core `module`, which exports `world` of `resolve`.
pub(super) fn encode(
    mut module: Vec<u8>,
    resolve: &wit_parser::Resolve,
    world: wit_parser::WorldId,
    what: &str,
) -> Result<Vec<u8>> {
    wit_component::embed_component_metadata(
        &mut module,
        resolve,
        world,
        wit_component::StringEncoding::UTF8,
        false,
    )
    .with_context(|| format!("cannot describe {what}"))?;
    wit_component::ComponentEncoder::default()
        .validate(true)
        .module(&module)
        .with_context(|| format!("{what} is not a module wit-component accepts"))?
        .encode()
        .with_context(|| format!("cannot encode {what}"))
}

/// The wasi:cli version of `import` when the stub provides it (`wasi:cli/exit@0.2.6` -> `0.2.6`).
pub fn provides(import: &str) -> Option<&str> {
    let (name, version) = import.split_once('@')?;
    PROVIDED.contains(&name).then_some(version)
}
