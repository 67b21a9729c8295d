//! `certctl config init|show|path`.

use std::io::Write;
use std::path::PathBuf;

use clap::ArgMatches;

use super::context::{load_settings, source_of};
use crate::cli::{ConfigCommand, GlobalArgs};
use crate::config::Source;
use crate::error::io_error;
use crate::error::{Error, ErrorKind, Result};
use crate::outcome::Outcome;
use crate::output::Format;

fn config_path(global: &GlobalArgs) -> Result<PathBuf> {
    match &global.config {
        Some(p) => Ok(p.clone()),
        None => crate::config::default_config_path(),
    }
}

/// Runs a `config` command.
pub fn run(cmd: ConfigCommand, global: &GlobalArgs, matches: &ArgMatches) -> Result<Outcome> {
    match cmd {
        ConfigCommand::Path => {
            let path = config_path(global)?;
            println!("{}", path.display());
            Ok(Outcome::Success)
        }
        ConfigCommand::Init { force } => {
            let path = config_path(global)?;
            if global.dry_run {
                refuse_overwrite(&path, force)?;
                let mut out = std::io::stdout();
                out.write_all(crate::config::init_template().as_bytes())
                    .and_then(|()| out.flush())
                    .map_err(io_error)?;
                eprintln!(
                    "would write {} (--dry-run: nothing written)",
                    path.display()
                );
                return Ok(Outcome::Success);
            }
            write_config(&path, force)?;
            eprintln!("wrote {}", path.display());
            Ok(Outcome::Success)
        }
        ConfigCommand::Show => {
            let settings = load_settings(global, matches, None)?;
            let mut rows: Vec<(String, String, Source)> = vec![
                (
                    "config".into(),
                    settings.path.value.display().to_string(),
                    settings.path.source,
                ),
                (
                    "profile".into(),
                    settings.profile.value.clone(),
                    settings.profile.source,
                ),
                (
                    "output".into(),
                    format_name(global.output).into(),
                    source_of(matches, "output"),
                ),
                (
                    "timeout".into(),
                    humantime::format_duration(global.timeout).to_string(),
                    source_of(matches, "timeout"),
                ),
                (
                    "retries".into(),
                    global.retries.to_string(),
                    source_of(matches, "retries"),
                ),
                (
                    "concurrency".into(),
                    global.concurrency.to_string(),
                    source_of(matches, "concurrency"),
                ),
                (
                    "journal".into(),
                    settings.journal.value.to_string(),
                    settings.journal.source,
                ),
            ];
            let metrics_file = match (&global.metrics_file, &settings.metrics_file) {
                (Some(path), _) => Some((path.clone(), source_of(matches, "metrics_file"))),
                (None, Some(v)) => Some((v.value.clone(), v.source)),
                (None, None) => None,
            };
            if let Some((path, source)) = metrics_file {
                rows.push(("metrics_file".into(), path.display().to_string(), source));
            }
            let max_items = match (global.max_items, &settings.max_items) {
                (Some(n), _) => Some((n, source_of(matches, "max_items"))),
                (None, Some(file)) => Some((file.value, file.source)),
                (None, None) => None,
            };
            if let Some((n, source)) = max_items {
                rows.push(("max_items".into(), n.to_string(), source));
            }
            if let Some(rate) = global.rate {
                rows.push((
                    "rate".into(),
                    crate::config::format_rate(rate),
                    source_of(matches, "rate"),
                ));
            }
            for p in settings.providers() {
                rows.extend(p.rows());
            }
            print_settings(global.output, &rows).map_err(io_error)?;
            Ok(Outcome::Success)
        }
    }
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Text => "text",
        Format::Json => "json",
        Format::Ndjson => "ndjson",
        Format::Ids => "ids",
    }
}

fn print_settings(format: Format, rows: &[(String, String, Source)]) -> std::io::Result<()> {
    let value = serde_json::Value::Object(
        rows.iter()
            .map(|(k, v, s)| {
                (
                    k.clone(),
                    serde_json::json!({"value": v, "source": s.to_string()}),
                )
            })
            .collect(),
    );
    crate::output::print_read(format, &value, |_| {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|(k, v, s)| serde_json::json!({"setting": k, "value": v, "source": s.to_string()}))
            .collect();
        crate::output::table::of_objects(
            &serde_json::Value::Array(list),
            &[
                ("setting", "setting"),
                ("value", "value"),
                ("source", "source"),
            ],
        )
    })
}

/// The refusal of `config init` over an existing file without `--force`, which a
/// dry run gives too.
fn refuse_overwrite(path: &std::path::Path, force: bool) -> Result<()> {
    if path.exists() && !force {
        return Err(Error::usage(format!("{} already exists", path.display()))
            .hint("use --force to overwrite it"));
    }
    Ok(())
}

/// Writes the commented config file with mode 0600, refusing to overwrite without `force`.
fn write_config(path: &std::path::Path, force: bool) -> Result<()> {
    refuse_overwrite(path, force)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::config(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| Error::config(format!("cannot write {}: {e}", path.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = file.set_permissions(std::fs::Permissions::from_mode(0o600));
    }
    file.write_all(crate::config::init_template().as_bytes())
        .map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!("cannot write {}: {e}", path.display()),
            )
        })?;
    Ok(())
}
