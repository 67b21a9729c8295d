//! A synthetic journal of years of use, for `scripts/bench.sh history`: LINES lines
//! (3,000,000 make about 1 GB) of runs in the format certctl writes, times rising from
//! 2024, and two runs to time commands on, one near the start and one near the end.
//!
//! ```sh
//! cargo run --release --example journal_history -- PATH LINES
//! ```
//! Most runs are ten DigiCert per-order revokes (a `sent` and a `done` line each) or
//! ten BCdiploma batches of twenty keys; one in fifty is resumed once. The two runs
//! to time revoke DigiCert orders 10001..10100 (the emulator's bulk orders) under the
//! profile `sandbox`, every one succeeded, each followed by a resume that sent
//! nothing: so `--resume` of them sends nothing either. Prints their run IDs, the one
//! near the start first. Deterministic: the same arguments write the same file.

use std::io::{BufWriter, Write};

use anyhow::{Context, Result, bail};

/// Writes the lines of runs, with a clock advancing one second per run.
struct Journal<W: Write> {
    out: W,
    lines: u64,
    run: u64,
    clock: u64,
}

/// 2024-01-01T00:00:00Z in seconds since the epoch.
const START: u64 = 1_704_067_200;

impl<W: Write> Journal<W> {
    fn next_run(&mut self) -> String {
        self.run += 1;
        self.clock += 1;
        // ULID-shaped: 26 characters, rising with the run number.
        format!("01H{:023}", self.run)
    }

    fn time(&self, ms: u64) -> String {
        let t = std::time::UNIX_EPOCH
            + std::time::Duration::from_millis((START + self.clock) * 1000 + ms);
        humantime::format_rfc3339_millis(t).to_string()
    }

    #[allow(clippy::too_many_arguments)]
    fn line(
        &mut self,
        run: &str,
        ms: u64,
        phase: &str,
        profile: &str,
        provider: &str,
        operation: &str,
        ids: &[String],
        tail: &str,
    ) -> Result<()> {
        let ids = ids
            .iter()
            .map(|id| format!("\"{id}\""))
            .collect::<Vec<_>>()
            .join(",");
        writeln!(
            self.out,
            "{{\"run_id\":\"{run}\",\"time\":\"{}\",\"phase\":\"{phase}\",\"profile\":\"{profile}\",\"provider\":\"{provider}\",\"operation\":\"{operation}\",\"ids\":[{ids}]{tail}}}",
            self.time(ms)
        )?;
        self.lines += 1;
        Ok(())
    }

    /// A per-order revoke run over `orders`, every one succeeded; `resumes` names
    /// the chain's first run for a resumed one, whose items are all skipped.
    fn revokes(
        &mut self,
        profile: &str,
        orders: &[String],
        resumes: Option<&str>,
    ) -> Result<String> {
        let run = self.next_run();
        let chain = resumes.map_or(String::new(), |r| format!(",\"resumes\":\"{r}\""));
        if resumes.is_some() {
            let tail = format!("{chain},\"http_status\":null,\"outcome\":\"skipped\"");
            self.line(
                &run,
                5,
                "done",
                profile,
                "digicert",
                "orders.revoke",
                orders,
                &tail,
            )?;
            return Ok(run);
        }
        for (i, order) in orders.iter().enumerate() {
            let one = std::slice::from_ref(order);
            let ms = i as u64 * 7;
            self.line(
                &run,
                ms,
                "sent",
                profile,
                "digicert",
                "orders.revoke",
                one,
                ",\"idempotent\":false",
            )?;
            self.line(
                &run,
                ms + 3,
                "done",
                profile,
                "digicert",
                "orders.revoke",
                one,
                ",\"http_status\":201,\"outcome\":\"succeeded\"",
            )?;
        }
        Ok(run)
    }

    /// A bulk disable run: ten batches of twenty keys, one batch failed.
    fn disables(&mut self, n: u64) -> Result<()> {
        let run = self.next_run();
        for b in 0..10u64 {
            let keys: Vec<String> = (0..20).map(|k| format!("K{n:08}-{b}{k:02}")).collect();
            self.line(
                &run,
                b * 11,
                "sent",
                "prod",
                "bcdiploma",
                "certificates.disable",
                &keys,
                ",\"idempotent\":true",
            )?;
            let tail = if b == 3 {
                ",\"http_status\":500,\"outcome\":\"failed\",\"error_kind\":\"server\""
            } else {
                ",\"http_status\":200,\"outcome\":\"succeeded\""
            };
            self.line(
                &run,
                b * 11 + 6,
                "done",
                "prod",
                "bcdiploma",
                "certificates.disable",
                &keys,
                tail,
            )?;
        }
        Ok(())
    }
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path, lines] = args.as_slice() else {
        bail!("usage: journal_history PATH LINES");
    };
    let total: u64 = lines.parse().context("LINES")?;
    let file = std::fs::File::create(path).with_context(|| format!("cannot create {path}"))?;
    let mut j = Journal {
        out: BufWriter::with_capacity(1 << 20, file),
        lines: 0,
        run: 0,
        clock: 0,
    };
    let targets: Vec<String> = (10001..=10100).map(|o| o.to_string()).collect();
    let mut picked = Vec::new();
    let mut n = 0u64;
    while j.lines < total {
        let share = j.lines * 100 / total.max(1);
        if (picked.is_empty() && share >= 1) || (picked.len() == 1 && share >= 99) {
            let first = j.revokes("sandbox", &targets, None)?;
            j.revokes("sandbox", &targets, Some(&first))?;
            picked.push(first);
            continue;
        }
        n += 1;
        if n.is_multiple_of(2) {
            j.disables(n)?;
            continue;
        }
        let orders: Vec<String> = (0..10)
            .map(|i| format!("{}", 2_000_000 + n * 10 + i))
            .collect();
        let first = j.revokes("prod", &orders, None)?;
        if n % 50 == 1 {
            j.revokes("prod", &orders, Some(&first))?;
        }
    }
    j.out.flush()?;
    if picked.len() < 2 {
        bail!("LINES is too small to place the two timed runs");
    }
    println!("{} {}", picked[0], picked[1]);
    Ok(())
}
