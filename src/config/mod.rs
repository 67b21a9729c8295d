//! Configuration: TOML profiles, `CERTCTL_*` environment variables, `*_file`
//! secrets, and where every effective value came from.
//!
//! Precedence is flag, then environment, then the profile in the file, then the
//! default. Global options (timeout, retries, ...) are resolved by clap, which knows
//! flags, environment and defaults; this module resolves the per-provider settings
//! and remembers each value's [`Source`] so `config show` can explain it. Missing
//! settings are only an error when a command asks for them.

mod file;
mod init;

pub use init::template as init_template;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::engine::rate::Pace;
use crate::error::{Error, Result};
use crate::registry::{PROVIDERS, ProviderId, ProviderInfo};
use crate::secret::Secret;

/// Where an effective value came from, as `config show` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Given on the command line.
    Flag,
    /// Read from a `CERTCTL_*` environment variable.
    Env,
    /// Read from the profile in the config file.
    File,
    /// certctl's built-in default.
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Flag => "flag",
            Source::Env => "env",
            Source::File => "file",
            Source::Default => "default",
        })
    }
}

/// A value with the place it came from.
#[derive(Debug, Clone)]
pub struct Valued<T> {
    /// The effective value.
    pub value: T,
    /// Where it came from.
    pub source: Source,
}

impl<T> Valued<T> {
    /// Pairs a value with its source.
    pub fn new(value: T, source: Source) -> Self {
        Valued { value, source }
    }
}

/// Reads environment variables; a function so tests can give their own environment.
pub type EnvReader<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The settings of one provider in the selected profile.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    info: &'static ProviderInfo,
    profile: String,
    config_path: PathBuf,
    base_url: Valued<String>,
    secret: Option<Valued<Secret>>,
    extras: BTreeMap<&'static str, Valued<String>>,
    rate: Option<Valued<f64>>,
}

impl ProviderSettings {
    /// The provider these settings belong to.
    pub fn info(&self) -> &'static ProviderInfo {
        self.info
    }

    /// The base URL without a trailing `/`, checked: `https://`, or `http://` on loopback.
    pub fn base_url(&self) -> Result<String> {
        validate_base_url(self.info.name, &self.base_url.value)
    }

    /// The credential, or an error naming the three ways to set it.
    pub fn secret(&self) -> Result<&Secret> {
        match &self.secret {
            Some(v) if v.value.is_header_safe() => Ok(&v.value),
            Some(v) => Err(Error::config(format!(
                "the {} setting `{}` (from {}) cannot be sent as an HTTP header: it holds a control character, a line break or a non-ASCII character",
                self.info.name, self.info.secret_key, v.source
            ))
            .hint(format!(
                "set `{}` again to the credential alone (a `{}_file` keeps only its trailing newline out)",
                self.info.secret_key, self.info.secret_key
            ))),
            None => Err(self.missing(self.info.secret_key, true)),
        }
    }

    /// A provider-specific setting such as Sertifika's `company_id`.
    pub fn extra(&self, key: &'static str) -> Result<&str> {
        match self.extras.get(key) {
            Some(v) => Ok(&v.value),
            None => Err(self.missing(key, false)),
        }
    }

    /// Whether every setting the provider needs is present.
    pub fn missing_settings(&self) -> Vec<Error> {
        let mut out = Vec::new();
        if let Err(e) = self.base_url() {
            out.push(e);
        }
        if let Err(e) = self.secret() {
            out.push(e);
        }
        for key in self.info.extra_keys {
            if let Err(e) = self.extra(key) {
                out.push(e);
            }
        }
        out
    }

    /// How requests to this provider are paced, given the global `--rate`.
    pub fn pace(&self, global_rate: Option<&Valued<f64>>) -> Pace {
        let chosen = match (global_rate, &self.rate) {
            (Some(g), _) if g.source == Source::Flag => Some(g.value),
            (_, Some(p)) if p.source == Source::Env => Some(p.value),
            (Some(g), _) => Some(g.value),
            (None, Some(p)) => Some(p.value),
            (None, None) => None,
        };
        match chosen {
            Some(rate) => Pace::per_second(rate),
            None => Pace::windows(self.info.budget),
        }
    }

    /// Points the provider at the sandbox emulator with its fixed credentials.
    pub fn use_sandbox(&mut self, base: &str, token: &str) {
        self.base_url = Valued::new(format!("{base}{}", self.info.sandbox_prefix), Source::Flag);
        self.secret = Some(Valued::new(Secret::new(token), Source::Flag));
        for (key, value) in self.info.extra_keys.iter().zip(self.info.sandbox_extras) {
            self.extras
                .insert(key, Valued::new(value.to_string(), Source::Flag));
        }
    }

    fn missing(&self, key: &str, secret: bool) -> Error {
        let name = self.info.name;
        let env = format!("CERTCTL_{}_{}", name.to_uppercase(), key.to_uppercase());
        let table = format!("[profiles.{}.{name}]", self.profile);
        let path = self.config_path.display();
        let ways = if secret {
            format!(
                "set `{key}` or `{key}_file` in {table} of {path}, or the environment variable {env}"
            )
        } else {
            format!("set `{key}` in {table} of {path}, or the environment variable {env}")
        };
        Error::config(format!("the {name} setting `{key}` is not set")).hint(ways)
    }

    /// The rows `config show` prints for this provider.
    pub fn rows(&self) -> Vec<(String, String, Source)> {
        let name = self.info.name;
        let mut rows = vec![(
            format!("{name}.base_url"),
            self.base_url.value.clone(),
            self.base_url.source,
        )];
        let key = format!("{name}.{}", self.info.secret_key);
        match &self.secret {
            Some(v) => rows.push((key, v.value.to_string(), v.source)),
            None => rows.push((key, "(not set)".into(), Source::Default)),
        }
        for extra in self.info.extra_keys {
            let key = format!("{name}.{extra}");
            match self.extras.get(extra) {
                Some(v) => rows.push((key, v.value.clone(), v.source)),
                None => rows.push((key, "(not set)".into(), Source::Default)),
            }
        }
        let rate = match &self.rate {
            Some(v) => (format_rate(v.value), v.source),
            None => (describe_budget(self.info), Source::Default),
        };
        rows.push((format!("{name}.rate"), rate.0, rate.1));
        rows
    }
}

/// `--rate` as people read it.
pub fn format_rate(rate: f64) -> String {
    if rate == 0.0 {
        "unlimited".into()
    } else {
        format!("{rate} per second")
    }
}

fn describe_budget(info: &ProviderInfo) -> String {
    if info.budget.is_empty() {
        return "unlimited (no documented limit)".into();
    }
    let windows: Vec<String> = info.budget.iter().map(|w| w.to_string()).collect();
    format!("documented budget: {}", windows.join(" and "))
}

/// Everything the selected profile says, resolved against the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The config file in use (it may not exist).
    pub path: Valued<PathBuf>,
    /// The profile in use.
    pub profile: Valued<String>,
    /// Whether state-changing requests are journaled.
    pub journal: Valued<bool>,
    /// The profile's `metrics_file` (`--metrics-file` and `CERTCTL_METRICS_FILE`,
    /// resolved by clap, come before it).
    pub metrics_file: Option<Valued<PathBuf>>,
    /// The profile's `max_items`, when it sets one.
    pub max_items: Option<Valued<u64>>,
    providers: Vec<ProviderSettings>,
}

impl Settings {
    /// Loads the file (when present) and the environment.
    ///
    /// `path` and `profile` are what the flags or their environment variables said.
    /// With `sandbox` (`--sandbox`), a profile the file lacks is an empty one: the
    /// emulator brings its own endpoints and credentials, so `-p prod` in an alias
    /// must not stop a sandbox run on a machine without that profile.
    pub fn load(
        path: Option<Valued<PathBuf>>,
        profile: Option<Valued<String>>,
        sandbox: bool,
        env: EnvReader<'_>,
    ) -> Result<Settings> {
        let (path, explicit) = match path {
            Some(p) => (p, true),
            None => (Valued::new(default_config_path()?, Source::Default), false),
        };
        let parsed = file::read(&path.value, explicit)?;
        let profile = match profile {
            Some(p) => p,
            None => match &parsed.default_profile {
                Some(name) => Valued::new(name.clone(), Source::File),
                None => Valued::new("default".to_string(), Source::Default),
            },
        };
        let section = match parsed.profiles.get(&profile.value) {
            Some(s) => s.clone(),
            None if sandbox || profile.source == Source::Default => file::Profile::default(),
            None => return Err(no_such_profile(&profile.value, &path.value, &parsed)),
        };
        let journal = match section.journal {
            Some(on) => Valued::new(on, Source::File),
            None => Valued::new(true, Source::Default),
        };
        let metrics_file = section
            .metrics_file
            .as_ref()
            .map(|p| Valued::new(PathBuf::from(p), Source::File));
        let mut providers = Vec::new();
        for info in &PROVIDERS {
            let table = section
                .providers
                .get(info.name)
                .cloned()
                .unwrap_or_default();
            providers.push(resolve_provider(
                info,
                &profile.value,
                &path.value,
                table,
                env,
            )?);
        }
        Ok(Settings {
            path,
            profile,
            journal,
            metrics_file,
            max_items: section.max_items.map(|n| Valued::new(n, Source::File)),
            providers,
        })
    }

    /// The settings of one provider.
    pub fn provider(&self, id: ProviderId) -> &ProviderSettings {
        let index = PROVIDERS.iter().position(|p| p.id == id).unwrap_or(0);
        &self.providers[index]
    }

    /// Every provider's settings, for `config show` and `check`.
    pub fn providers(&self) -> &[ProviderSettings] {
        &self.providers
    }

    /// Whether any provider may be reached over TLS. When none can (every base URL is
    /// plain `http://`, which is only allowed on loopback: the sandbox, a local mock),
    /// the client skips loading the system's CA store, a few milliseconds per run.
    pub fn needs_tls(&self) -> bool {
        self.providers.iter().any(|p| {
            !p.base_url
                .value
                .get(..7)
                .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
        })
    }

    /// Points every provider at the sandbox emulator at `base`.
    pub fn use_sandbox(&mut self, base: &str, token: &str) {
        for p in &mut self.providers {
            p.use_sandbox(base, token);
        }
    }
}

/// A profile that is not in the file, with the ones that are.
fn no_such_profile(name: &str, path: &Path, parsed: &file::Parsed) -> Error {
    let error = Error::config(format!("the profile `{name}` is not in {}", path.display()));
    if parsed.profiles.is_empty() {
        return error.hint(format!(
            "the file has no profile yet: add a [profiles.{name}.PROVIDER] table to it (`certctl config init` writes a commented one)"
        ));
    }
    let names: Vec<&str> = parsed.profiles.keys().map(String::as_str).collect();
    error.hint(format!(
        "profiles in the file: {}; choose one with --profile, or add [profiles.{name}.PROVIDER] tables",
        names.join(", ")
    ))
}

fn resolve_provider(
    info: &'static ProviderInfo,
    profile: &str,
    path: &Path,
    table: file::ProviderTable,
    env: EnvReader<'_>,
) -> Result<ProviderSettings> {
    let env_name = |key: &str| {
        format!(
            "CERTCTL_{}_{}",
            info.name.to_uppercase(),
            key.to_uppercase()
        )
    };
    let pick = |key: &str| -> Option<Valued<String>> {
        if let Some(v) = env(&env_name(key)).filter(|v| !v.is_empty()) {
            return Some(Valued::new(v, Source::Env));
        }
        table
            .values
            .get(key)
            .map(|v| Valued::new(v.clone(), Source::File))
    };
    let base_url = pick("base_url")
        .unwrap_or_else(|| Valued::new(info.default_base_url.to_string(), Source::Default));

    let key = info.secret_key;
    let file_key = format!("{key}_file");
    let secret = if let Some(v) = env(&env_name(key)).filter(|v| !v.is_empty()) {
        Some(Valued::new(Secret::new(v), Source::Env))
    } else if let Some(p) = env(&env_name(&file_key)).filter(|v| !v.is_empty()) {
        Some(Valued::new(
            read_secret_file(info.name, &file_key, Path::new(&p))?,
            Source::Env,
        ))
    } else {
        match (table.values.get(key), table.values.get(&file_key)) {
            (Some(_), Some(_)) => {
                return Err(Error::config(format!(
                    "[profiles.{profile}.{}] sets both `{key}` and `{file_key}` in {}: keep one",
                    info.name,
                    path.display()
                )));
            }
            (Some(v), None) => Some(Valued::new(Secret::new(v.clone()), Source::File)),
            (None, Some(p)) => Some(Valued::new(
                read_secret_file(info.name, &file_key, Path::new(p))?,
                Source::File,
            )),
            (None, None) => None,
        }
    };

    let mut extras = BTreeMap::new();
    for extra in info.extra_keys {
        if let Some(v) = pick(extra) {
            extras.insert(*extra, v);
        }
    }

    let rate = match env(&env_name("rate")).filter(|v| !v.is_empty()) {
        Some(text) => Some(Valued::new(
            parse_rate(&text).map_err(Error::config)?,
            Source::Env,
        )),
        None => table.rate.map(|r| Valued::new(r, Source::File)),
    };

    Ok(ProviderSettings {
        info,
        profile: profile.to_string(),
        config_path: path.to_path_buf(),
        base_url,
        secret,
        extras,
        rate,
    })
}

/// Parses a requests-per-second rate: a number, at least 0 (0 = unlimited).
pub fn parse_rate(text: &str) -> std::result::Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r >= 0.0 => Ok(r),
        _ => Err(format!(
            "`{text}` is not a rate: give a number of requests per second, 0 for unlimited"
        )),
    }
}

fn read_secret_file(provider: &str, key: &str, path: &Path) -> Result<Secret> {
    match std::fs::read_to_string(path) {
        Ok(mut text) => {
            while text.ends_with('\n') || text.ends_with('\r') {
                text.pop();
            }
            if text.is_empty() {
                return Err(Error::config(format!(
                    "the {provider} `{key}` {} is empty",
                    path.display()
                )));
            }
            Ok(Secret::new(text))
        }
        Err(e) => Err(Error::config(format!(
            "cannot read the {provider} `{key}` {}: {e}",
            path.display()
        ))),
    }
}

/// `$XDG_CONFIG_HOME/certctl/config.toml`, or `~/.config/certctl/config.toml`.
pub fn default_config_path() -> Result<PathBuf> {
    use etcetera::BaseStrategy;
    let strategy = etcetera::choose_base_strategy()
        .map_err(|e| Error::config(format!("cannot find the home directory: {e}")))?;
    Ok(strategy.config_dir().join("certctl").join("config.toml"))
}

/// Checks a base URL and drops its trailing `/`.
///
/// Plain `http://` would send the credential in clear text, so it is only allowed to
/// loopback hosts (the sandbox, a local mock).
pub fn validate_base_url(provider: &str, raw: &str) -> Result<String> {
    let bad = |why: &str| {
        Error::config(format!(
            "the {provider} base_url `{raw}` is not usable: {why}"
        ))
    };
    let url = reqwest::Url::parse(raw).map_err(|e| bad(&e.to_string()))?;
    match url.scheme() {
        "https" => {}
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if !loopback {
                return Err(bad(
                    "http:// is only allowed for loopback hosts; use https://",
                ));
            }
        }
        _ => return Err(bad("it must start with https://")),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("it must not have a query or fragment"));
    }
    Ok(raw.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests;
