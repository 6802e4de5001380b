//! pylon's file locks (`pylon:runtime/locks`, which interpreters with SQLite import),
//! answered inside an emitted wasi:http component: a stock host has no such interface.
//!
//! The stub says the host holds no locks, so SQLite falls back to its in-interpreter locks
//! and lock folders (caps/sqlite3/src/locking.c); a proxy component has no file system to
//! share with anyone, so nothing is lost. A core module written here, encoded as a
//! component with wit-component.

use anyhow::Result;
use wasm_encoder::{
    CodeSection, ExportKind, ExportSection, Function, FunctionSection, Instruction, TypeSection,
    ValType,
};

/// The interface the stub provides.
pub const PROVIDED: &str = pylon_runtime::LOCKS;

/// `outcome.unsupported` in guest/glue.wit.
const UNSUPPORTED: i32 = 2;

/// Where a call's path argument is written; the stub never reads it.
const ARGUMENTS: i32 = 1024;

/// The stub component.
pub fn component() -> Result<Vec<u8>> {
    let (resolve, world) = crate::composing::glue::world("locks-stub")?;
    let mut types = TypeSection::new();
    types.ty().function([], [ValType::I32]); // 0: supported
    types.ty().function(
        [
            ValType::I32,
            ValType::I32,
            ValType::I32,
            ValType::I64,
            ValType::I64,
        ],
        [ValType::I32],
    ); // 1: set and test (path, kind, start, length)
    types.ty().function([ValType::I32; 4], [ValType::I32]); // 2: cabi_realloc
    let mut functions = FunctionSection::new();
    let mut exports = ExportSection::new();
    let mut code = CodeSection::new();
    let answers = [
        ("supported", 0, 0),
        ("set", 1, UNSUPPORTED),
        ("test", 1, UNSUPPORTED),
    ];
    for (index, (name, ty, answer)) in answers.into_iter().enumerate() {
        functions.function(ty);
        exports.export(
            &format!("{PROVIDED}#{name}"),
            ExportKind::Func,
            index as u32,
        );
        let mut body = Function::new([]);
        body.instruction(&Instruction::I32Const(answer))
            .instruction(&Instruction::End);
        code.function(&body);
    }
    // Every allocation is a call's path, dead once the call returns: one buffer, grown
    // to fit the largest.
    functions.function(2);
    exports.export("cabi_realloc", ExportKind::Func, answers.len() as u32);
    let mut body = Function::new([]);
    let new_size = 3;
    body.instruction(&Instruction::LocalGet(new_size))
        .instruction(&Instruction::I32Const(ARGUMENTS + 0xffff))
        .instruction(&Instruction::I32Add)
        .instruction(&Instruction::I32Const(16))
        .instruction(&Instruction::I32ShrU)
        .instruction(&Instruction::MemorySize(0))
        .instruction(&Instruction::I32Sub)
        .instruction(&Instruction::LocalTee(new_size))
        .instruction(&Instruction::I32Const(0))
        .instruction(&Instruction::I32GtS)
        .instruction(&Instruction::If(wasm_encoder::BlockType::Empty))
        .instruction(&Instruction::LocalGet(new_size))
        .instruction(&Instruction::MemoryGrow(0))
        .instruction(&Instruction::Drop)
        .instruction(&Instruction::End)
        .instruction(&Instruction::I32Const(ARGUMENTS))
        .instruction(&Instruction::End);
    code.function(&body);

    let memories = super::cli_stub::memory(None);
    exports.export("memory", ExportKind::Memory, 0);
    let module = super::cli_stub::module(&types, &functions, &memories, &exports, &code);
    super::cli_stub::encode(module.finish(), &resolve, world, "the locks stub")
}

#[cfg(test)]
mod tests {
    /// The stub encodes, and its component answers what a host without locks answers.
    #[test]
    fn answers_unsupported() {
        use wasmtime::component::{Component, Linker};
        let bytes = super::component().expect("the stub encodes");
        let engine = wasmtime::Engine::default();
        let component = Component::new(&engine, &bytes).expect("the stub is a valid component");
        let mut store = wasmtime::Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &component)
            .expect("the stub needs no imports");
        let interface = instance
            .get_export_index(&mut store, None, super::PROVIDED)
            .expect("the stub exports the locks");
        let func = |store: &mut wasmtime::Store<()>, name| {
            let index = instance
                .get_export_index(&mut *store, Some(&interface), name)
                .expect("the function is exported");
            instance.get_func(&mut *store, index).expect("a function")
        };
        let supported = func(&mut store, "supported");
        let supported = supported.typed::<(), (bool,)>(&store).unwrap();
        assert_eq!(supported.call(&mut store, ()).unwrap(), (false,));
        // A path longer than the stub's first page grows its buffer.
        use wasmtime::component::Val;
        let set = func(&mut store, "set");
        let mut outcome = [Val::Bool(false)];
        let path = format!("/{}", "x".repeat(200_000));
        let args = [
            Val::String(path),
            Val::Enum("write".into()),
            Val::U64(0),
            Val::U64(1),
        ];
        set.call(&mut store, &args, &mut outcome).unwrap();
        assert_eq!(outcome[0], Val::Enum("unsupported".into()));
    }
}
