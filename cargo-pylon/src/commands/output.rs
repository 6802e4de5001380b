//! `--format table|json`, shared by the reporting commands.

use anyhow::Result;
use serde::Serialize;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Output {
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

impl Output {
    /// Print `value` as JSON, or call `table` to print it for people.
    pub fn emit<T: Serialize>(&self, value: &T, table: impl FnOnce(&T)) -> Result<()> {
        match self.format {
            Format::Json => println!("{}", serde_json::to_string_pretty(value)?),
            Format::Table => table(value),
        }
        Ok(())
    }
}
