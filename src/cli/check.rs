//! `rolecall check FILE...`

use std::path::PathBuf;

use super::{FAILURE, Io, OK, PolicyArgs, load};

/// Check policy files.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy files to check.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    #[command(flatten)]
    policy: PolicyArgs,
}

/// Exit 0 when every file is valid; otherwise print all diagnostics, exit 1.
pub fn run(args: &Args, io: &mut Io<'_>) -> i32 {
    let mut code = OK;
    for file in &args.files {
        match load(file, &args.policy, io) {
            Some(table) => {
                let p = &table.policy;
                // Declared roles: a scope's `everyone` column is not one.
                let roles: usize = p
                    .scopes
                    .values()
                    .map(|s| s.roles.len() - usize::from(s.everyone.is_some()))
                    .sum();
                let actions: usize = p.scopes.values().map(|s| s.actions.len()).sum();
                let targeted = match table.targeted_cell_count() {
                    0 => String::new(),
                    n => format!(", {n} targeted cells"),
                };
                let _ = writeln!(
                    io.stdout,
                    "{}: ok ({} scopes, {roles} roles, {actions} actions, {} rules, {} cells{targeted})",
                    file.display(),
                    p.scopes.len(),
                    p.rules.len(),
                    table.cell_count()
                );
            }
            None => code = FAILURE,
        }
    }
    code
}
