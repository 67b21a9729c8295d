//! The floor under certctl's bulk numbers: the same PUTs sent by a bare reqwest loop
//! (one current-thread runtime, a client set up as certctl's, bodies built once, no
//! input file, no checks, no report). Whatever certctl takes beyond this is its own
//! overhead; a target below this is out of reach for any client on reqwest.
//!
//! ```sh
//! cargo run --release --example reqwest_floor -- URL COUNT CONCURRENCY BODY_FILE [HEADER]...
//! ```
//! `{}` in URL becomes 1000001, 1000002, ... or from `FLOOR_FIRST` on, or the lines of
//! the file `FLOOR_IDS` names (one URL per request, like DigiCert revokes); `-` as
//! BODY_FILE sends no body; each HEADER is `Name: value`. Exits
//! non-zero unless every answer is 2xx. `scripts/bench.sh floor` runs it beside certctl.

use anyhow::{Context, Result, bail};
use futures_util::stream::{FuturesUnordered, StreamExt};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, count, concurrency, body_file, headers @ ..] = args.as_slice() else {
        bail!("usage: reqwest_floor URL COUNT CONCURRENCY BODY_FILE [HEADER]...");
    };
    let count: usize = count.parse().context("COUNT")?;
    let concurrency: usize = concurrency.parse().context("CONCURRENCY")?;
    let body = match body_file.as_str() {
        "-" => bytes::Bytes::new(),
        path => bytes::Bytes::from(std::fs::read(path).context("BODY_FILE")?),
    };
    let mut header_map = reqwest::header::HeaderMap::new();
    for h in headers {
        let (name, value) = h.split_once(':').context("a HEADER is `Name: value`")?;
        header_map.insert(
            reqwest::header::HeaderName::from_bytes(name.trim().as_bytes())?,
            reqwest::header::HeaderValue::from_str(value.trim())?,
        );
    }
    let first: usize = match std::env::var("FLOOR_FIRST") {
        Ok(n) => n.parse().context("FLOOR_FIRST")?,
        Err(_) => 1_000_001,
    };
    let listed: Option<Vec<String>> = match std::env::var("FLOOR_IDS") {
        Ok(path) => Some(
            std::fs::read_to_string(&path)
                .context("FLOOR_IDS")?
                .lines()
                .map(str::to_owned)
                .collect(),
        ),
        Err(_) => None,
    };
    if listed.as_ref().is_some_and(|ids| ids.len() < count) {
        bail!("FLOOR_IDS holds fewer than {count} IDs");
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .tls_certs_only(std::iter::empty())
        .build()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut in_flight = FuturesUnordered::new();
        let (mut sent, mut ok) = (0usize, 0usize);
        loop {
            while sent < count && in_flight.len() < concurrency {
                let id = match &listed {
                    Some(ids) => ids[sent].clone(),
                    None => (first + sent).to_string(),
                };
                let target = url.replace("{}", &id);
                let request = client
                    .put(target)
                    .headers(header_map.clone())
                    .body(body.clone())
                    .send();
                in_flight.push(async move {
                    let response = request.await?;
                    let status = response.status();
                    response.bytes().await?;
                    Ok::<_, reqwest::Error>(status.is_success())
                });
                sent += 1;
            }
            match in_flight.next().await {
                Some(answer) => ok += usize::from(answer?),
                None => break,
            }
        }
        if ok != count {
            bail!("{} of {count} answers were not 2xx", count - ok);
        }
        Ok(())
    })
}
