//! The metrics file of `--metrics-file` (README, "Running from cron"): the
//! Prometheus text exposition format 0.0.4 that node_exporter's textfile collector
//! reads, and the tally of HTTP answers it reports.
//!
//! One file serves every job of a host: [`update`] replaces only the samples that
//! carry the labels of the runs it records (`profile`, `provider`, `operation`) and
//! keeps every other line family and sample of the file as it was. The file is
//! written whole (a temporary file in the same directory, then a rename), mode 0644
//! so the collector can read it, one run at a time (see [`update`]), and holds
//! nothing but those labels and numbers:
//! never a credential, an item ID or a URL. A file that is not in the format is
//! left alone. When to record and with which labels is the caller's business (the
//! `commands` module's hook); this module knows the format.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use crate::error::ExitStatus;
use crate::report::Summary;

/// The classes `certctl_last_run_requests` counts, in the order they are written.
pub const CLASSES: [&str; 6] = ["2xx", "3xx", "4xx", "429", "5xx", "error"];

/// HTTP answers received by a command, attempts included, by class; `error` counts
/// attempts that got no answer at all (refused connection, timeout, reset).
#[derive(Debug, Default)]
pub struct Requests([AtomicU64; 6]);

impl Requests {
    /// An empty tally, usable in a `static`.
    pub const fn new() -> Requests {
        Requests([const { AtomicU64::new(0) }; 6])
    }

    /// Counts an answer with this HTTP status.
    pub fn answered(&self, status: u16) {
        let class = match status {
            429 => 3,
            200..=299 => 0,
            300..=399 => 1,
            400..=499 => 2,
            500..=599 => 4,
            // A status outside the classes (1xx, a non-standard one) is still an
            // answer that is no success: counted with the errors.
            _ => 5,
        };
        self.0[class].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an attempt that got no answer.
    pub fn unanswered(&self) {
        self.0[5].fetch_add(1, Ordering::Relaxed);
    }

    /// The counts so far, in [`CLASSES`] order.
    pub fn counts(&self) -> [u64; 6] {
        std::array::from_fn(|i| self.0[i].load(Ordering::Relaxed))
    }
}

/// The labels that name one job in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The profile the command ran with.
    pub profile: String,
    /// The provider's name (`digicert`).
    pub provider: String,
    /// The operation (`orders.revoke`), or `check`.
    pub operation: String,
}

/// How one job's run ended: what its samples say.
#[derive(Debug, Clone)]
pub struct Run {
    /// Which job ran.
    pub job: Job,
    /// When it ended.
    pub ended: SystemTime,
    /// How long it ran.
    pub duration: Duration,
    /// How it ended: its exit code.
    pub status: ExitStatus,
    /// Its items by outcome.
    pub items: Summary,
    /// HTTP answers by class, in [`CLASSES`] order.
    pub requests: [u64; 6],
}

/// The families certctl writes, with their help text.
const FAMILIES: [(&str, &str); 6] = [
    (
        "certctl_last_run_timestamp_seconds",
        "Unix time the last certctl run of this job ended.",
    ),
    (
        "certctl_last_run_duration_seconds",
        "How long the last certctl run of this job took, in seconds.",
    ),
    (
        "certctl_last_run_exit_code",
        "Exit code of the last certctl run of this job, as certctl --help lists them.",
    ),
    (
        "certctl_last_run_items",
        "Items of the last certctl run of this job, by outcome.",
    ),
    (
        "certctl_last_run_requests",
        "HTTP answers the last certctl run of this job received, retries included, by class (error: no answer).",
    ),
    (
        "certctl_last_success_timestamp_seconds",
        "Unix time of the last certctl run of this job that exited 0 (0: none yet).",
    ),
];

/// Why the file was not updated.
#[derive(Debug)]
pub enum Refused {
    /// The file exists and is not in the text format: it was left as it is.
    NotOurs(String),
    /// Reading or writing failed.
    Io(std::io::Error),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::NotOurs(why) => write!(
                f,
                "it is not a Prometheus text file ({why}), so it was left as it is"
            ),
            Refused::Io(e) => write!(f, "{e}"),
        }
    }
}

/// Records `runs` in the file at `path`: each run's samples replace those of its
/// job, every other sample of the file stays, and the last success of a job whose
/// run did not succeed is kept from the file.
pub fn update(path: &Path, runs: &[Run]) -> Result<(), Refused> {
    let _turn = lock_directory(path);
    let old = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            return Err(Refused::NotOurs("it is not UTF-8 text".into()));
        }
        Err(e) => return Err(Refused::Io(e)),
    };
    let mut file = Exposition::parse(&old).map_err(Refused::NotOurs)?;
    for run in runs {
        file.record(run);
    }
    crate::files::write_whole_with_mode(path, file.render().as_bytes(), 0o644).map_err(Refused::Io)
}

/// Waits for the other certctl runs updating a file in `path`'s directory: each
/// reads the file, changes its own job and writes it back, so two jobs ending at
/// once would otherwise write back each other's old samples. The lock is the
/// directory's own (advisory, between certctl runs; no lock file is left), held
/// until the returned handle drops. A directory that cannot be locked is written
/// unlocked: the write itself is still whole.
fn lock_directory(path: &Path) -> Option<std::fs::File> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let handle = std::fs::File::open(dir).ok()?;
    handle.lock().ok()?;
    Some(handle)
}

/// One sample line: its name, labels, and what follows them (value, timestamp).
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: String,
}

impl Sample {
    fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the sample belongs to `job`.
    fn of(&self, job: &Job) -> bool {
        self.label("profile") == Some(&job.profile)
            && self.label("provider") == Some(&job.provider)
            && self.label("operation") == Some(&job.operation)
    }
}

/// A metric family: its `# HELP` and `# TYPE` lines and its samples, together.
#[derive(Debug, Default)]
struct Family {
    name: String,
    help: Option<String>,
    kind: Option<String>,
    samples: Vec<Sample>,
}

impl Family {
    /// Whether a sample of this name belongs here: the family's own name, or a
    /// histogram's or summary's `_bucket`, `_sum` or `_count`.
    fn holds(&self, sample: &str) -> bool {
        sample == self.name
            || sample.strip_prefix(self.name.as_str()).is_some_and(|rest| {
                matches!(rest, "_bucket" | "_sum" | "_count")
                    && matches!(self.kind.as_deref(), Some("histogram" | "summary"))
            })
    }
}

/// One sample certctl writes for a job: the label beside the job's (`outcome`,
/// `class`), if any, and the value.
type Point<'a> = (Option<(&'a str, &'a str)>, String);

/// A whole file in the text format, family by family in file order.
#[derive(Debug, Default)]
struct Exposition {
    families: Vec<Family>,
}

impl Exposition {
    /// Reads the text format; an error says which line is not in it.
    fn parse(text: &str) -> Result<Exposition, String> {
        let mut file = Exposition::default();
        for (n, line) in text.lines().enumerate() {
            let bad = |what: &str| format!("line {} {what}", n + 1);
            let line = line.trim_start();
            if line.is_empty() {
                continue;
            }
            if let Some(comment) = line.strip_prefix('#') {
                let mut words = comment.trim_start().splitn(3, [' ', '\t']);
                let (keyword, name, rest) = (words.next(), words.next(), words.next());
                let (Some(keyword @ ("HELP" | "TYPE")), Some(name)) = (keyword, name) else {
                    continue;
                };
                if !is_metric_name(name) {
                    return Err(bad("names no valid metric"));
                }
                let rest = rest.unwrap_or("").trim().to_string();
                if keyword == "TYPE"
                    && !matches!(
                        rest.as_str(),
                        "counter" | "gauge" | "histogram" | "summary" | "untyped"
                    )
                {
                    return Err(bad("gives no metric type"));
                }
                let family = file.family_for_comment(name);
                let slot = if keyword == "HELP" {
                    &mut family.help
                } else {
                    &mut family.kind
                };
                if slot.is_some() {
                    return Err(bad(&format!("repeats the {keyword} of {name}")));
                }
                *slot = Some(rest);
                continue;
            }
            let sample = parse_sample(line).ok_or_else(|| bad("is not a sample"))?;
            file.family_for_sample(&sample.name).samples.push(sample);
        }
        Ok(file)
    }

    /// The family a `# HELP` or `# TYPE` line of `name` opens or continues.
    fn family_for_comment(&mut self, name: &str) -> &mut Family {
        let continues = self
            .families
            .last()
            .is_some_and(|f| f.name == name && f.samples.is_empty());
        if !continues {
            self.families.push(Family {
                name: name.to_string(),
                ..Family::default()
            });
        }
        let last = self.families.len() - 1;
        &mut self.families[last]
    }

    /// The family a sample line of `name` belongs to: the current one, or a new one.
    fn family_for_sample(&mut self, name: &str) -> &mut Family {
        if !self.families.last().is_some_and(|f| f.holds(name)) {
            self.families.push(Family {
                name: name.to_string(),
                ..Family::default()
            });
        }
        let last = self.families.len() - 1;
        &mut self.families[last]
    }

    /// The family `name` of certctl's own, created (at the end) when missing, with
    /// its help and type as certctl writes them.
    fn own(&mut self, name: &str, help: &str) -> &mut Family {
        let at = match self.families.iter().position(|f| f.name == name) {
            Some(at) => at,
            None => {
                self.families.push(Family {
                    name: name.to_string(),
                    ..Family::default()
                });
                self.families.len() - 1
            }
        };
        let family = &mut self.families[at];
        family.help = Some(help.to_string());
        family.kind = Some("gauge".to_string());
        family
    }

    /// Replaces the samples of `run`'s job with what `run` says.
    fn record(&mut self, run: &Run) {
        let last_success = self
            .families
            .iter()
            .filter(|f| f.name == FAMILIES[5].0)
            .flat_map(|f| f.samples.iter())
            .find(|s| s.of(&run.job))
            .map(|s| s.value.clone());
        let unix = |t: SystemTime| {
            t.duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs_f64()
        };
        let ended = format!("{:.3}", unix(run.ended));
        let items = [
            ("succeeded", run.items.succeeded),
            ("failed", run.items.failed),
            ("unknown", run.items.unknown),
            ("skipped", run.items.skipped),
        ];
        let values: [Vec<Point>; 6] = [
            vec![(None, ended.clone())],
            vec![(None, format!("{:.3}", run.duration.as_secs_f64()))],
            vec![(None, run.status.code().to_string())],
            items
                .iter()
                .map(|(outcome, n)| (Some(("outcome", *outcome)), n.to_string()))
                .collect(),
            CLASSES
                .iter()
                .zip(run.requests)
                .map(|(class, n)| (Some(("class", *class)), n.to_string()))
                .collect(),
            vec![(
                None,
                match (
                    run.status.code() == ExitStatus::Success.code(),
                    last_success,
                ) {
                    (true, _) => ended,
                    (false, Some(kept)) => kept,
                    (false, None) => "0".to_string(),
                },
            )],
        ];
        for ((name, help), values) in FAMILIES.iter().zip(values) {
            let family = self.own(name, help);
            family.samples.retain(|s| !s.of(&run.job));
            for (extra, value) in values {
                let mut labels = vec![
                    ("profile".to_string(), run.job.profile.clone()),
                    ("provider".to_string(), run.job.provider.clone()),
                    ("operation".to_string(), run.job.operation.clone()),
                ];
                labels.extend(extra.map(|(k, v)| (k.to_string(), v.to_string())));
                family.samples.push(Sample {
                    name: name.to_string(),
                    labels,
                    value,
                });
            }
            // Jobs in label order, each job's samples in the order written above.
            family
                .samples
                .sort_by(|a, b| a.labels.get(..3).cmp(&b.labels.get(..3)));
        }
    }

    /// The file's text.
    fn render(&self) -> String {
        let mut out = String::new();
        for family in &self.families {
            if let Some(help) = &family.help {
                let _ = writeln!(out, "# HELP {} {help}", family.name);
            }
            if let Some(kind) = &family.kind {
                let _ = writeln!(out, "# TYPE {} {kind}", family.name);
            }
            for sample in &family.samples {
                out.push_str(&sample.name);
                if !sample.labels.is_empty() {
                    out.push('{');
                    for (i, (k, v)) in sample.labels.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        let _ = write!(out, "{k}=\"{}\"", escape(v));
                    }
                    out.push('}');
                }
                let _ = writeln!(out, " {}", sample.value);
            }
        }
        out
    }
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`
fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`
fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A label value as the format writes it: backslash, double quote and line feed
/// escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `name{label="value",...} value [timestamp]`, or `None` when the line is not one.
fn parse_sample(line: &str) -> Option<Sample> {
    let name_end = line.find(['{', ' ', '\t']).unwrap_or(line.len());
    let name = &line[..name_end];
    if !is_metric_name(name) {
        return None;
    }
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if let Some(inner) = rest.strip_prefix('{') {
        let (parsed, after) = parse_labels(inner)?;
        labels = parsed;
        rest = after;
    }
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let value = rest.trim();
    let mut fields = value.split_whitespace();
    let number = fields.next()?;
    let timestamp = fields.next();
    if fields.next().is_some()
        || !is_float(number)
        || timestamp.is_some_and(|t| t.parse::<i64>().is_err())
    {
        return None;
    }
    Some(Sample {
        name: name.to_string(),
        labels,
        value: value.split_whitespace().collect::<Vec<_>>().join(" "),
    })
}

/// A sample value: a Go float, `NaN` and `+Inf`/`-Inf` included.
fn is_float(text: &str) -> bool {
    matches!(text, "NaN" | "+Inf" | "-Inf" | "Inf")
        || (text.parse::<f64>().is_ok()
            && !text
                .chars()
                .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E'))
}

/// The labels after `{` up to the closing `}`, and what follows it.
fn parse_labels(mut text: &str) -> Option<(Vec<(String, String)>, &str)> {
    let mut labels = Vec::new();
    loop {
        text = text.trim_start();
        if let Some(after) = text.strip_prefix('}') {
            return Some((labels, after));
        }
        let eq = text.find('=')?;
        let name = text[..eq].trim();
        if !is_label_name(name) {
            return None;
        }
        text = text[eq + 1..].trim_start().strip_prefix('"')?;
        let mut value = String::new();
        let mut chars = text.char_indices();
        let end = loop {
            match chars.next()? {
                (i, '"') => break i,
                (_, '\\') => match chars.next()? {
                    (_, 'n') => value.push('\n'),
                    (_, c @ ('\\' | '"')) => value.push(c),
                    _ => return None,
                },
                (_, c) => value.push(c),
            }
        };
        labels.push((name.to_string(), value));
        text = text[end + 1..].trim_start();
        if let Some(after) = text.strip_prefix(',') {
            text = after;
        } else if !text.starts_with('}') {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn run(profile: &str, operation: &str, status: ExitStatus, at: u64) -> Run {
        Run {
            job: Job {
                profile: profile.into(),
                provider: "digicert".into(),
                operation: operation.into(),
            },
            ended: SystemTime::UNIX_EPOCH + Duration::from_secs(at),
            duration: Duration::from_millis(1500),
            status,
            items: Summary {
                total: 3,
                succeeded: 2,
                failed: 1,
                unknown: 0,
                skipped: 0,
            },
            requests: [2, 0, 1, 1, 0, 0],
        }
    }

    fn recorded(old: &str, runs: &[Run]) -> String {
        let mut file = Exposition::parse(old).expect("parses");
        for r in runs {
            file.record(r);
        }
        file.render()
    }

    #[test]
    fn a_run_writes_every_family_with_its_labels() {
        let text = recorded(
            "",
            &[run("prod", "orders.revoke", ExitStatus::Partial, 1_000)],
        );
        let labels = r#"profile="prod",provider="digicert",operation="orders.revoke""#;
        for line in [
            "# TYPE certctl_last_run_timestamp_seconds gauge".to_string(),
            format!("certctl_last_run_timestamp_seconds{{{labels}}} 1000.000"),
            format!("certctl_last_run_duration_seconds{{{labels}}} 1.500"),
            format!("certctl_last_run_exit_code{{{labels}}} 3"),
            format!("certctl_last_run_items{{{labels},outcome=\"succeeded\"}} 2"),
            format!("certctl_last_run_items{{{labels},outcome=\"skipped\"}} 0"),
            format!("certctl_last_run_requests{{{labels},class=\"429\"}} 1"),
            format!("certctl_last_run_requests{{{labels},class=\"error\"}} 0"),
            format!("certctl_last_success_timestamp_seconds{{{labels}}} 0"),
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from:\n{text}"
            );
        }
        assert_eq!(text.matches("# HELP").count(), 6, "{text}");
    }

    #[test]
    fn a_job_replaces_its_own_samples_and_keeps_the_others() {
        let first = recorded(
            "",
            &[
                run("prod", "orders.revoke", ExitStatus::Success, 1_000),
                run("lab", "orders.revoke", ExitStatus::Success, 1_000),
            ],
        );
        let second = recorded(
            &first,
            &[run(
                "prod",
                "orders.revoke",
                ExitStatus::Failed(ErrorKind::Transient),
                2_000,
            )],
        );
        assert!(second.contains(r#"certctl_last_run_exit_code{profile="prod",provider="digicert",operation="orders.revoke"} 6"#), "{second}");
        assert!(second.contains(r#"certctl_last_run_exit_code{profile="lab",provider="digicert",operation="orders.revoke"} 0"#), "{second}");
        assert!(second.contains(r#"certctl_last_success_timestamp_seconds{profile="prod",provider="digicert",operation="orders.revoke"} 1000.000"#), "{second}");
        assert_eq!(second.matches("certctl_last_run_exit_code{").count(), 2);
        // Written again unchanged, the file is the same: nothing piles up.
        assert_eq!(recorded(&second, &[]), second);
    }

    #[test]
    fn other_families_and_odd_label_values_survive() {
        let old = "# HELP backup_ok Whether the backup ran.\n# TYPE backup_ok gauge\nbackup_ok{host=\"a \\\"b\\\" \\\\ c\\nd\"} 1 1700000000000\n# TYPE lat histogram\nlat_bucket{le=\"+Inf\"} 3\nlat_sum 1.5e-3\nlat_count 3\nplain NaN\n";
        let text = recorded(old, &[run("p\"x", "check", ExitStatus::Success, 5)]);
        assert!(text.starts_with(old), "{text}");
        assert!(text.contains(r#"profile="p\"x""#), "{text}");
        assert_eq!(Exposition::parse(&text).expect("parses").render(), text);
    }

    #[test]
    fn what_is_not_the_format_is_refused() {
        for bad in [
            "{\"json\": true}\n",
            "hello world\n",
            "m{a=\"1\" 1\n",
            "m{a=1} 1\n",
            "m 1 2 3\n",
            "m one\n",
            "# TYPE m gauge\n# TYPE m counter\n",
            "# TYPE m sometype\n",
            "9m 1\n",
        ] {
            assert!(Exposition::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(Exposition::parse("# a free comment\n\nm 1\n").is_ok());
    }

    #[test]
    fn requests_are_counted_by_class() {
        let tally = Requests::new();
        for status in [200, 204, 301, 404, 429, 429, 500, 503, 101] {
            tally.answered(status);
        }
        tally.unanswered();
        assert_eq!(tally.counts(), [2, 1, 1, 2, 2, 2]);
    }
}
