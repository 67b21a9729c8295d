//! Reads metrics files as a Prometheus scraper would (the `prometheus-parse` crate,
//! a development dependency) and fails on anything it would skip or misread: the
//! check `scripts/smoke.sh` runs on the file of the README's "Running from cron"
//! block, and the tests on every file they make.
//!
//! ```sh
//! cargo run --example check_metrics -- FILE...
//! ```
//! Prints each file's sample count; exits 1 at the first file that does not parse.

use std::process::ExitCode;

use prometheus_parse::{LineInfo, Sample, Scrape, Value};

fn main() -> ExitCode {
    for path in std::env::args().skip(1) {
        let parsed = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| samples(&text));
        match parsed {
            Ok(samples) => println!("{path}: {} samples parse", samples.len()),
            Err(why) => {
                eprintln!("{path}: {why}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

/// The samples of a file in the text format. Every line must be one the parser
/// understands (`# HELP`, `# TYPE`, a sample with a number, or empty) so that nothing
/// is silently skipped, and every `certctl_` sample must be a gauge with its help.
pub fn samples(text: &str) -> Result<Vec<Sample>, String> {
    let mut sample_lines = 0;
    for line in text.lines() {
        match LineInfo::parse(line) {
            LineInfo::Ignored => return Err(format!("the parser skips the line {line:?}")),
            LineInfo::Sample { value, .. } if value.parse::<f64>().is_err() => {
                return Err(format!("the line {line:?} has no number"));
            }
            LineInfo::Sample { .. } => sample_lines += 1,
            _ => {}
        }
    }
    let scrape =
        Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).map_err(|e| e.to_string())?;
    if scrape.samples.len() != sample_lines {
        return Err(format!(
            "{sample_lines} sample lines but {} samples read",
            scrape.samples.len()
        ));
    }
    for s in &scrape.samples {
        if !s.metric.starts_with("certctl_") {
            continue;
        }
        if !matches!(s.value, Value::Gauge(_)) {
            return Err(format!("{} is not a gauge", s.metric));
        }
        if !scrape.docs.contains_key(&s.metric) {
            return Err(format!("{} has no HELP", s.metric));
        }
    }
    Ok(scrape.samples)
}
