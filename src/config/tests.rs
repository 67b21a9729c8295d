use std::collections::HashMap;

use super::*;
use crate::engine::rate::Pace;

fn load(text: &str, env: &[(&str, &str)]) -> Result<Settings> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, text).unwrap();
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::load(Some(Valued::new(path, Source::Flag)), None, false, &|k| {
        env.get(k).cloned()
    })
}

#[test]
fn base_urls_lose_their_trailing_slash_and_http_is_loopback_only() {
    assert_eq!(
        validate_base_url("x", "https://a.example/v2/").unwrap(),
        "https://a.example/v2"
    );
    assert!(validate_base_url("x", "http://127.0.0.1:8080").is_ok());
    assert!(validate_base_url("x", "http://localhost:1/").is_ok());
    assert!(validate_base_url("x", "http://[::1]:1").is_ok());
    assert!(validate_base_url("x", "http://api.example").is_err());
    assert!(validate_base_url("x", "ftp://api.example").is_err());
    assert!(validate_base_url("x", "not a url").is_err());
}

#[test]
fn rates_pick_flag_then_env_then_file_then_budget() {
    let s = load("[profiles.default.bcdiploma]\nrate = 2\n", &[]).unwrap();
    let p = s.provider(ProviderId::Bcdiploma);
    assert_eq!(p.pace(None), Pace::per_second(2.0));
    assert_eq!(
        p.pace(Some(&Valued::new(0.0, Source::Flag))),
        Pace::Unlimited
    );
    assert_eq!(
        p.pace(Some(&Valued::new(4.0, Source::Env))),
        Pace::per_second(4.0)
    );
    let s = load("", &[("CERTCTL_BCDIPLOMA_RATE", "8")]).unwrap();
    assert_eq!(
        s.provider(ProviderId::Bcdiploma)
            .pace(Some(&Valued::new(4.0, Source::Env))),
        Pace::per_second(8.0)
    );
    let s = load("", &[]).unwrap();
    assert_eq!(
        s.provider(ProviderId::Digicert).pace(None),
        Pace::windows(ProviderId::Digicert.info().budget)
    );
    assert_eq!(s.provider(ProviderId::Origin).pace(None), Pace::Unlimited);
}

#[test]
fn missing_settings_name_three_ways() {
    let s = load("", &[]).unwrap();
    let err = s
        .provider(ProviderId::Sertifika)
        .extra("company_id")
        .unwrap_err();
    assert_eq!(err.kind(), crate::error::ErrorKind::Config);
    let hint = err.hint_text().unwrap();
    assert!(
        hint.contains("company_id") && hint.contains("CERTCTL_SERTIFIKA_COMPANY_ID"),
        "{hint}"
    );
    assert_eq!(
        s.provider(ProviderId::Sertifika).missing_settings().len(),
        2
    );
}

#[test]
fn inline_and_file_secrets_together_are_refused() {
    let err = load(
        "[profiles.default.digicert]\napi_key = \"a\"\napi_key_file = \"/x\"\n",
        &[],
    )
    .unwrap_err();
    assert!(err.to_string().contains("keep one"), "{err}");
}

#[test]
fn sandbox_overrides_every_provider() {
    let mut s = load("", &[]).unwrap();
    s.use_sandbox("http://127.0.0.1:5", "sandbox-token");
    let p = s.provider(ProviderId::Digicert);
    assert_eq!(
        p.base_url().unwrap(),
        "http://127.0.0.1:5/digicert/services/v2"
    );
    assert_eq!(p.secret().unwrap().expose(), "sandbox-token");
    assert_eq!(
        s.provider(ProviderId::Sertifika)
            .extra("company_id")
            .unwrap(),
        "sandbox-company"
    );
    assert_eq!(s.providers().len(), 4);
}

#[test]
fn tls_is_needed_unless_every_provider_is_plain_http() {
    let mut s = load("", &[]).unwrap();
    assert!(s.needs_tls(), "the vendors' default URLs are https");
    let s2 = load(
        "[profiles.default.bcdiploma]\nbase_url = \"HTTP://127.0.0.1:9\"\n",
        &[],
    )
    .unwrap();
    assert!(s2.needs_tls(), "three providers are still https");
    s.use_sandbox("http://127.0.0.1:5", "sandbox-token");
    assert!(!s.needs_tls());
}
