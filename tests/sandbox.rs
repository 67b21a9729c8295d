//! The emulator as users meet it: `--sandbox` on a fresh machine, `sandbox serve` as
//! a test bench with faults, and `check` telling a working profile from a broken one.

use crate::common::*;

#[tokio::test]
async fn sandbox_flag_needs_no_account() {
    let env = Env::new();
    let mut c = env.cmd();
    c.args(argv(
        "--sandbox -o json bcdiploma certificates disable --campaign demo-campaign",
    ));
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["profile"], "sandbox");
    assert_eq!(doc["items"][0]["id"], "demo-campaign");
    assert_eq!(doc["outcome"], "succeeded");
}

#[tokio::test]
async fn a_bulk_run_through_faults_applies_every_item_exactly_once() {
    let sandbox = Sandbox::spawn(&["--faults", "503=0.2,429=0.1,reset=0.05", "--seed", "7"]);
    let env = Env::new();
    let keys: Vec<String> = (1..=20).map(|i| format!("DEMOKEY{i:04}")).collect();
    let mut c = env.cmd();
    sandbox.env(&mut c);
    c.args(argv(
        "-o json --yes --rate 0 --retries 10 bcdiploma certificates delete --batch-size 1",
    ))
    .args(&keys);
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}\n{}", stdout(&out), stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["summary"]["succeeded"], 20);
    let stats = sandbox.stats();
    for key in &keys {
        assert_eq!(
            stats["changes"][format!("bcdiploma:{key}")],
            1,
            "{key}: {stats}"
        );
    }
    let sent = stats["requests"]["DELETE /bcdiploma/admin/keys"]
        .as_u64()
        .unwrap_or(0);
    assert!(
        sent > 20,
        "the faults should have forced retries, saw {sent} requests"
    );
}

/// Issue #9's pacing goal end to end, at 1/100 scale: the emulator enforces
/// DigiCert's 100 per 5 s and 1,000 per 5 min windows (50 ms and 3 s here), and a
/// 1,500-order revoke must stay inside them. It cannot be faster than the 3.2 s the
/// windows allow. At this scale a machine busy with other tests can delay a request
/// on its way in by more than the pacer's margin and bunch arrivals, so a stray 429
/// (retried) is tolerated; without pacing, over a thousand meet a full window.
/// How close to the windows a run comes, and that it meets no 429 at all, is measured
/// by `scripts/bench.sh pacing`, not asserted here.
#[tokio::test]
async fn default_pacing_stays_inside_the_digicert_windows() {
    let env = Env::new();
    let ids: String = ready_orders(1500)
        .iter()
        .map(|id| format!("{id}\n"))
        .collect();
    let file = env.file("orders.txt", &ids);
    let mut c = env.cmd();
    c.env("CERTCTL_SANDBOX_LIMITS", "1")
        .env("CERTCTL_SANDBOX_ORDERS", "2500")
        .env("CERTCTL_SANDBOX_LIMIT_SCALE", "0.01")
        .args(["--sandbox", "-v", "-o", "json", "--yes", "--retries", "5"])
        .args(["--concurrency", "16", "digicert", "orders", "revoke"])
        .args(["--comment", "pacing rehearsal", "--from"])
        .arg(&file);
    let started = std::time::Instant::now();
    let out = run(c).await;
    let took = started.elapsed();
    let log = stderr(&out);
    assert_eq!(code(&out), 0, "{log}");
    assert_eq!(json(&out)["summary"]["succeeded"], 1500);
    assert_eq!(
        log.matches(" -> 201 ").count(),
        1500,
        "one answer per order"
    );
    // Without pacing, over a thousand of the 1,500 would meet a full window.
    let full = log.matches(" -> 429 ").count();
    assert!(full < 100, "{full} requests met a full window");
    assert!(
        took.as_secs_f64() >= 3.2,
        "faster than the windows allow: {took:?}"
    );
}

#[tokio::test]
async fn check_tells_a_working_profile_from_a_broken_one() {
    let sandbox = Sandbox::spawn(&[]);
    let env = Env::new();
    let mut c = env.cmd();
    sandbox.env(&mut c);
    c.args(["-o", "json", "check"]);
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let rows = json(&out);
    assert!(
        rows.as_array().unwrap().iter().all(|r| r["ok"] == true),
        "{rows}"
    );

    let mut c = env.cmd();
    sandbox.env(&mut c);
    c.env("CERTCTL_DIGICERT_API_KEY", "wrong-key")
        .args(["-o", "json", "check", "digicert"]);
    let out = run(c).await;
    assert_eq!(code(&out), 4, "{}", stdout(&out));
    assert!(!stdout(&out).contains("wrong-key"));

    let mut c = env.cmd();
    c.env("CERTCTL_DIGICERT_API_KEY", "k")
        .env("CERTCTL_DIGICERT_BASE_URL", "http://127.0.0.1:9")
        .args(["--retries", "0", "check", "digicert"]);
    assert_eq!(code(&run(c).await), 6);

    let mut c = env.cmd();
    c.args(["check", "sertifika"]);
    let out = run(c).await;
    assert_eq!(code(&out), 4);
    assert!(stdout(&out).contains("company_id"), "{}", stdout(&out));
}

#[tokio::test]
async fn every_provider_changes_state_in_the_emulator() {
    let sandbox = Sandbox::spawn(&[]);
    let env = Env::new();
    let certctl = |args: &[&str]| {
        let mut c = env.cmd();
        sandbox.env(&mut c);
        c.args(["-o", "json", "--yes", "--rate", "0"]).args(args);
        c
    };

    let out = run(certctl(&[
        "digicert",
        "orders",
        "revoke",
        "10001",
        "--comment",
        "rehearsal",
    ]))
    .await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let request_id = json(&out)["items"][0]["response"]["id"]
        .as_u64()
        .expect("revoke request id");
    let out = run(certctl(&[
        "digicert",
        "requests",
        "approve",
        &request_id.to_string(),
    ]))
    .await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = run(certctl(&[
        "digicert",
        "requests",
        "show",
        &request_id.to_string(),
    ]))
    .await;
    assert_eq!(json(&out)["status"], "approved", "{}", stdout(&out));

    let origin_id = "0e1c0000-0000-4000-8000-000000000001";
    let out = run(certctl(&["origin", "certifications", "delete", origin_id])).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = run(certctl(&["origin", "certifications", "delete", origin_id])).await;
    assert_eq!(
        code(&out),
        1,
        "deleting twice must be rejected: {}",
        stdout(&out)
    );

    let template = "64c9f080-2314-4f02-a43c-923d83e8e444";
    let out = run(certctl(&[
        "sertifika",
        "certificates",
        "revoke",
        "--template",
        template,
        "ayse.yilmaz@example.com.tr",
    ]))
    .await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = run(certctl(&[
        "sm",
        "certificates",
        "revoke",
        "--template",
        template,
        "ayse.yilmaz@example.com.tr",
    ]))
    .await;
    assert_eq!(
        code(&out),
        5,
        "revoking twice is not found: {}",
        stdout(&out)
    );

    let out = run(certctl(&[
        "bcdiploma",
        "certificates",
        "delete",
        "DEMOKEY0003",
    ]))
    .await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    let stats = sandbox.stats();
    let changes = &stats["changes"];
    assert_eq!(
        changes["digicert:order:10001"], 2,
        "revoke request + approval: {stats}"
    );
    assert_eq!(changes[format!("origin:{origin_id}")], 1, "{stats}");
    assert_eq!(changes["bcdiploma:DEMOKEY0003"], 1, "{stats}");
    let revoked = changes
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| k.starts_with(&format!("sertifika:{template}:")))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(revoked, 1, "{stats}");
}

#[tokio::test]
async fn write_config_is_whole_private_and_ready_before_the_first_connection() {
    let env = Env::new();
    let path = env.path("sandbox.toml");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("certctl"))
        .args(argv("sandbox serve --listen 127.0.0.1:0 --write-config"))
        .arg(&path)
        .env("RUST_BACKTRACE", "0")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut waited = 0;
    while !path.exists() && waited < 500 {
        std::thread::sleep(std::time::Duration::from_millis(10));
        waited += 1;
    }
    // Read as soon as it exists: whole, private, and the address already serves.
    let text = std::fs::read_to_string(&path).unwrap();
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    let mut c = env.cmd();
    c.env("CERTCTL_CONFIG", &path).args(["-o", "json", "check"]);
    let out = run(c).await;
    let _ = child.kill();
    let _ = child.wait();
    assert!(text.contains("default_profile = \"sandbox\""), "{text}");
    assert!(
        text.ends_with("company_id = \"sandbox-company\"\n"),
        "{text}"
    );
    assert_eq!(mode, 0o600);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let leftovers: Vec<_> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test]
async fn write_config_to_a_missing_directory_is_a_usage_error() {
    let env = Env::new();
    let mut c = env.cmd();
    c.args(argv("sandbox serve --listen 127.0.0.1:0 --write-config"))
        .arg(env.path("no/such/dir/sandbox.toml"));
    let out = run(c).await;
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("cannot write the sandbox config to"),
        "{}",
        stderr(&out)
    );
}
