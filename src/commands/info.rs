//! `certctl version` and `certctl man`: what certctl says about itself. The version
//! stamp comes from `build.rs`; the manual page from the same clap tree as `--help`.

use std::io::Write;

use crate::error::Result;
use crate::error::io_error;
use crate::outcome::Outcome;
use crate::output::Format;

/// Prints the version line (text) or `{"version","commit","build_date","target"}`,
/// formatted as every other JSON output is.
pub fn version(format: Format) -> Result<Outcome> {
    let value = serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "commit": env!("CERTCTL_COMMIT"),
        "build_date": env!("CERTCTL_BUILD_DATE"),
        "target": env!("CERTCTL_TARGET"),
    });
    crate::output::print_read(format, &value, |_| {
        format!("certctl {}\n", crate::cli::VERSION)
    })
    .map_err(io_error)?;
    Ok(Outcome::Success)
}

/// Prints the manual page: clap's page of the top level, then a COMMANDS section
/// naming every command down to the operations, each with its one-line help.
pub fn man() -> Result<Outcome> {
    let cmd = super::tree::command();
    let mut rendered = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .date(env!("CERTCTL_BUILD_DATE"))
        .render(&mut rendered)
        .map_err(io_error)?;
    let mut page = title_first(&String::from_utf8_lossy(&rendered)).into_bytes();
    page.extend_from_slice(b".SH COMMANDS\n");
    commands_section(&cmd, "certctl", &mut page);
    write_stdout(&page)
}

/// The page with its `.TH` line moved first, as `man` and `whatis` expect; the
/// renderer puts the definition of an apostrophe string before it, which works as
/// well after it.
fn title_first(page: &str) -> String {
    let mut lines: Vec<&str> = page.lines().collect();
    if let Some(at) = lines.iter().position(|l| l.starts_with(".TH ")) {
        let title = lines.remove(at);
        lines.insert(0, title);
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// One `.TP` entry per command without subcommands under `cmd`, named by its path.
fn commands_section(cmd: &clap::Command, path: &str, out: &mut Vec<u8>) {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let path = format!("{path} {}", sub.get_name());
        if sub.has_subcommands() {
            commands_section(sub, &path, out);
            continue;
        }
        let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
        out.extend_from_slice(
            format!(".TP\n\\fB{}\\fR\n{}\n", roff(&path), roff(&about)).as_bytes(),
        );
    }
}

/// Text made safe for a roff line: backslashes and hyphens escaped, and a leading
/// `.` or `'` kept from being read as a request.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

fn write_stdout(bytes: &[u8]) -> Result<Outcome> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(io_error)?;
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::{roff, title_first};

    #[test]
    fn the_title_comes_first() {
        let page = ".ie x\n.el y\n.TH certctl 1\n.SH NAME\n";
        assert_eq!(title_first(page), ".TH certctl 1\n.ie x\n.el y\n.SH NAME\n");
    }

    #[test]
    fn roff_escapes_what_roff_would_interpret() {
        assert_eq!(roff("delete-history"), "delete\\-history");
        assert_eq!(roff(".hidden"), "\\&.hidden");
        assert_eq!(roff("a\\b"), "a\\eb");
    }
}
