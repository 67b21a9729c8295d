//! Build script: stamps the binary with what `certctl --version` and `certctl version`
//! report besides the crate version, so a bug report says exactly which build it is:
//! the git commit (`unknown` where the source has no git, as a crates.io tarball), the
//! build date in UTC (`SOURCE_DATE_EPOCH` when set, for reproducible builds) and the
//! target triple.
//!
//! It reruns only when the checked-out commit moves (HEAD, the ref it points to), so
//! an edit-compile loop does not rebuild the crate for a new date.

use std::path::PathBuf;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let commit = own_repository().and_then(|()| git(&["rev-parse", "--short", "HEAD"]));
    if commit.is_some() {
        watch_head();
    }
    println!(
        "cargo:rustc-env=CERTCTL_COMMIT={}",
        commit.as_deref().unwrap_or("unknown")
    );
    println!("cargo:rustc-env=CERTCTL_BUILD_DATE={}", build_date());
    println!(
        "cargo:rustc-env=CERTCTL_TARGET={}",
        std::env::var("TARGET").unwrap_or_else(|_| "unknown".into())
    );
}

/// A git command's trimmed output, or `None` when git is missing or fails (no
/// repository).
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// `Some` when the crate is the top of its own git checkout, so that a copy unpacked
/// inside some other repository (vendored, say) is not stamped with that one's commit.
fn own_repository() -> Option<()> {
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?);
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    (top.canonicalize().ok()? == manifest.canonicalize().ok()?).then_some(())
}

/// Reruns the script when HEAD moves: HEAD itself (a checkout) and the file holding
/// the branch it points to (a commit). `--git-path` finds both in a worktree too,
/// where `.git` is a file. A packed ref has no file of its own: then `packed-refs`.
/// Only existing files are named, since cargo reruns every build for a missing one.
fn watch_head() {
    let watch = |path: Option<String>| match path.map(PathBuf::from) {
        Some(p) if p.exists() => {
            println!("cargo:rerun-if-changed={}", p.display());
            true
        }
        _ => false,
    };
    watch(git(&["rev-parse", "--git-path", "HEAD"]));
    if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"])
        && !watch(git(&["rev-parse", "--git-path", &reference]))
    {
        watch(git(&["rev-parse", "--git-path", "packed-refs"]));
    }
}

/// Today's date in UTC as `YYYY-MM-DD`, or that of `SOURCE_DATE_EPOCH`.
fn build_date() -> String {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        });
    let (y, m, d) = civil_from_days((seconds / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}
