//! `cargo pylon new NAME`: a working cap in one command.

use std::process::ExitCode;

use anyhow::Result;

use crate::scaffolding::newcap::{self, Spec};
use crate::workspace::discover;
use crate::workspace::manifest::Linkage;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LinkageArg {
    Static,
    Dynlink,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The cap's name: lowercase letters, digits and hyphens (`blake3`, `fast-json`)
    name: String,
    /// The module Python code imports (default: the name, `-` as `_`)
    #[arg(long, value_name = "MODULE")]
    facade: Option<String>,
    /// How the cap's component joins the interpreter
    #[arg(long, value_enum, default_value_t = LinkageArg::Static)]
    linkage: LinkageArg,
    /// The WIT interface: created with this name (default pylon:NAME/api@0.1.0), or, with
    /// --from-wit, the one to export when the WIT defines several
    #[arg(long, value_name = "NS:PKG/IFACE@VERSION")]
    interface: Option<String>,
    /// Build the cap around an existing WIT file or folder (the component starts as stubs)
    #[arg(long, value_name = "PATH")]
    from_wit: Option<std::path::PathBuf>,
    /// Lay the facade out as a package (python/MODULE/__init__.py), for an API with submodules
    #[arg(long)]
    package: bool,
}

impl Args {
    pub fn run(self) -> Result<ExitCode> {
        let ws = discover::workspace(None)?;
        let spec = Spec {
            name: self.name,
            facade: self.facade,
            linkage: match self.linkage {
                LinkageArg::Static => Linkage::Static,
                LinkageArg::Dynlink => Linkage::Dynlink,
            },
            interface: self.interface,
            from_wit: self.from_wit,
            package: self.package,
        };
        let written = newcap::create(&ws.root, &spec)?;
        println!("created cap `{}`:", spec.name);
        for path in written {
            println!("  {}", path.display());
        }
        println!("next: cargo pylon compose && cargo pylon smoke   (then edit caps/{}/wit and src/lib.rs)", spec.name);
        Ok(ExitCode::SUCCESS)
    }
}
