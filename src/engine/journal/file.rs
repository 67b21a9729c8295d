//! The journal file: where it is, what one of its lines holds ([`Entry`]), and
//! reading its lines back.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};

/// The environment variable naming another journal file.
pub const ENV: &str = "CERTCTL_JOURNAL";

/// The journal file: `$CERTCTL_JOURNAL`, else `$XDG_STATE_HOME/certctl/journal.ndjson`.
/// `--sandbox` runs go to a file of their own beside it (`journal-sandbox.ndjson`,
/// or `NAME-sandbox.EXT` beside `$CERTCTL_JOURNAL`), so rehearsals never mix with
/// the record of production changes.
pub fn path(sandbox: bool) -> Result<PathBuf> {
    let path = production_path()?;
    if !sandbox {
        return Ok(path);
    }
    let stem = path
        .file_stem()
        .map_or_else(|| "journal".into(), |s| s.to_string_lossy().into_owned());
    let name = match path.extension() {
        Some(ext) => format!("{stem}-sandbox.{}", ext.to_string_lossy()),
        None => format!("{stem}-sandbox"),
    };
    Ok(path.with_file_name(name))
}

fn production_path() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os(ENV).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    use etcetera::BaseStrategy;
    let strategy = etcetera::choose_base_strategy().map_err(|e| {
        refused_journal(
            Path::new("$XDG_STATE_HOME/certctl/journal.ndjson"),
            &format!("cannot find the home directory: {e}"),
        )
    })?;
    let dir = strategy.state_dir().unwrap_or_else(|| strategy.data_dir());
    Ok(dir.join("certctl").join("journal.ndjson"))
}

/// The error that stops a command whose journal cannot be written.
pub(super) fn refused_journal(path: &Path, why: &str) -> Error {
    Error::new(
        ErrorKind::Refused,
        format!(
            "cannot write the journal {} ({why}), so nothing more was sent",
            path.display()
        ),
    )
    .hint(format!(
        "make it writable, name another file with {ENV}=PATH, or set `journal = false` in the profile to run without a journal"
    ))
}

/// One journal line as read back; unknown fields are ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    /// The run it belongs to.
    pub run_id: String,
    /// When it was written (RFC 3339).
    pub time: String,
    /// `sent` or `done`.
    pub phase: String,
    /// The profile of the run.
    #[serde(default)]
    pub profile: String,
    /// The provider's name.
    pub provider: String,
    /// The operation's name.
    pub operation: String,
    /// The items of the request (of the outcome group, for `done`).
    pub ids: Vec<String>,
    /// `done`: the HTTP status of the last answer, if there was one.
    #[serde(default)]
    pub http_status: Option<u16>,
    /// `done`: `succeeded`, `failed`, `unknown`, `not_sent` or `skipped`.
    #[serde(default)]
    pub outcome: Option<String>,
    /// `done`, failed or unknown items: the error kind.
    #[serde(default)]
    pub error_kind: Option<String>,
    /// The first run of the chain this run resumes (`resume_of`, the run it resumed
    /// directly, in journals of earlier versions).
    #[serde(default, alias = "resume_of")]
    pub resumes: Option<String>,
    /// `done` with `unknown`: held back by a resumed run, not sent.
    #[serde(default)]
    pub held: bool,
    /// The digest of the plan the run applied (`certctl apply`).
    #[serde(default)]
    pub plan: Option<String>,
    /// Sertifika issuing: the template the rows were issued from (for read-backs).
    #[serde(default)]
    pub template: Option<String>,
    /// DigiCert certificate revokes: `serial` when the items are serial numbers.
    #[serde(default)]
    pub by: Option<String>,
    /// Origin deletes: the items are `externalId`s.
    #[serde(default)]
    pub external: bool,
    /// Origin async deletes, `done`: the batch's result URL.
    #[serde(default)]
    pub callback: Option<String>,
    /// `done` written by a read-back: `applied` or `not_applied`.
    #[serde(default)]
    pub reconciled: Option<String>,
    /// A line of a `certctl reconcile` run, which only reads.
    #[serde(default)]
    pub reconcile: bool,
}

impl Entry {
    /// What the line recorded to find its items again at the provider.
    pub fn locator(&self) -> crate::engine::reconcile::Locator {
        crate::engine::reconcile::Locator {
            template: self.template.clone(),
            by_serial: self.by.as_deref() == Some("serial"),
            external: self.external,
            callback: self.callback.clone(),
        }
    }
}

/// One line of the journal read back, `None` when it is not a well-formed `sent` or
/// `done` line (one cut short by a killed process, or edited beyond reading).
pub(super) fn parse_line(line: &[u8]) -> Option<Entry> {
    match serde_json::from_slice::<Entry>(line.trim_ascii()) {
        Ok(e) if e.phase == "sent" || e.phase == "done" => Some(e),
        _ => None,
    }
}
