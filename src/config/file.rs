//! Reading the TOML config file: its shape checked key by key, so a typo is an error
//! that names the key instead of a silently dropped setting.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::registry::{PROVIDERS, ProviderInfo};

/// What the file says, before the environment is applied.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The top-level `default_profile`.
    pub default_profile: Option<String>,
    /// Each `[profiles.NAME]` table.
    pub profiles: BTreeMap<String, Profile>,
}

/// One `[profiles.NAME]` table.
#[derive(Debug, Default, Clone)]
pub struct Profile {
    /// `journal = false` turns the journal off.
    pub journal: Option<bool>,
    /// `metrics_file = "PATH"`: the Prometheus text file to update after each command.
    pub metrics_file: Option<String>,
    /// `max_items = N`: the profile's `--max-items`.
    pub max_items: Option<u64>,
    /// The provider tables, by provider name.
    pub providers: BTreeMap<String, ProviderTable>,
}

/// One `[profiles.NAME.PROVIDER]` table.
#[derive(Debug, Default, Clone)]
pub struct ProviderTable {
    /// String settings: `base_url`, the credential or its `_file`, extras.
    pub values: BTreeMap<String, String>,
    /// `rate = N`.
    pub rate: Option<f64>,
}

/// Reads and checks the file; a missing file is empty unless the path was explicit.
pub fn read(path: &Path, explicit: bool) -> Result<Parsed> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            return Ok(Parsed::default());
        }
        Err(e) => {
            return Err(Error::config(format!(
                "cannot read the config file {}: {e}",
                path.display()
            ))
            .hint("create one with `certctl config init`, or give another with --config"));
        }
    };
    let parsed = parse(&text, path)?;
    warn_if_exposed(path, &parsed);
    Ok(parsed)
}

/// Parses the text of a config file at `path` (named in errors).
pub fn parse(text: &str, path: &Path) -> Result<Parsed> {
    let where_ = path.display();
    let table: toml::Table = toml::from_str(text).map_err(|e| syntax_error(&e, text, &where_))?;
    let mut parsed = Parsed::default();
    for (key, value) in &table {
        match key.as_str() {
            "default_profile" => {
                parsed.default_profile = Some(expect_str(value, key, "the top level", &where_)?);
            }
            "profiles" => {
                let profiles = expect_table(value, "profiles", &where_)?;
                for (name, value) in profiles {
                    let section = format!("profiles.{name}");
                    let t = expect_table(value, &section, &where_)?;
                    parsed
                        .profiles
                        .insert(name.clone(), parse_profile(t, &section, &where_)?);
                }
            }
            other => {
                return Err(unknown(
                    other,
                    "the top level",
                    &["default_profile", "profiles"],
                    &where_,
                ));
            }
        }
    }
    Ok(parsed)
}

/// A TOML syntax error as one sentence (where, and what the parser expected) followed
/// by the parser's excerpt of the line with a caret under the spot.
fn syntax_error(e: &toml::de::Error, text: &str, where_: &dyn std::fmt::Display) -> Error {
    let reason = e.message().trim().trim_end_matches('.');
    let at = match e.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            format!(" at line {line}, column {column}")
        }
        None => String::new(),
    };
    let display = e.to_string();
    let excerpt: Vec<String> = display
        .lines()
        .filter(|l| l.contains('|'))
        .map(|l| format!("    {l}"))
        .collect();
    let mut message = format!("the config file {where_} is not valid TOML{at}: {reason}");
    if !excerpt.is_empty() {
        message.push('\n');
        message.push_str(&excerpt.join("\n"));
    }
    Error::config(message)
}

fn parse_profile(
    table: &toml::Table,
    section: &str,
    where_: &dyn std::fmt::Display,
) -> Result<Profile> {
    let mut profile = Profile::default();
    for (key, value) in table {
        if key == "journal" {
            match value.as_bool() {
                Some(b) => profile.journal = Some(b),
                None => {
                    return Err(Error::config(format!(
                        "`journal` in [{section}] of {where_} must be true or false"
                    )));
                }
            }
        } else if key == "metrics_file" {
            profile.metrics_file = Some(expect_str(value, key, &format!("[{section}]"), where_)?);
        } else if key == "max_items" {
            match value.as_integer().and_then(|n| u64::try_from(n).ok()) {
                Some(n) if n > 0 => profile.max_items = Some(n),
                _ => {
                    return Err(Error::config(format!(
                        "`max_items` in [{section}] of {where_} must be a whole number above 0"
                    )));
                }
            }
        } else if let Some(info) = PROVIDERS.iter().find(|p| p.name == key) {
            let sub = format!("{section}.{key}");
            let t = expect_table(value, &sub, where_)?;
            profile
                .providers
                .insert(key.clone(), parse_provider(info, t, &sub, where_)?);
        } else {
            let mut valid = vec!["journal", "metrics_file", "max_items"];
            valid.extend(PROVIDERS.iter().map(|p| p.name));
            return Err(unknown(key, &format!("[{section}]"), &valid, where_));
        }
    }
    Ok(profile)
}

fn parse_provider(
    info: &ProviderInfo,
    table: &toml::Table,
    section: &str,
    where_: &dyn std::fmt::Display,
) -> Result<ProviderTable> {
    let secret_file = format!("{}_file", info.secret_key);
    let mut valid: Vec<&str> = vec!["base_url", info.secret_key, &secret_file, "rate"];
    valid.extend(info.extra_keys);
    let mut out = ProviderTable::default();
    for (key, value) in table {
        if !valid.contains(&key.as_str()) {
            return Err(unknown(key, &format!("[{section}]"), &valid, where_));
        }
        if key == "rate" {
            let rate = value
                .as_float()
                .or_else(|| value.as_integer().map(|i| i as f64));
            match rate {
                Some(r) if r.is_finite() && r >= 0.0 => out.rate = Some(r),
                _ => {
                    return Err(Error::config(format!(
                        "`rate` in [{section}] of {where_} must be a number of requests per second (0 = unlimited)"
                    )));
                }
            }
        } else {
            out.values.insert(
                key.clone(),
                expect_str(value, key, &format!("[{section}]"), where_)?,
            );
        }
    }
    Ok(out)
}

fn expect_str(
    value: &toml::Value,
    key: &str,
    section: &str,
    where_: &dyn std::fmt::Display,
) -> Result<String> {
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| Error::config(format!("`{key}` in {section} of {where_} must be a string")))
}

fn expect_table<'a>(
    value: &'a toml::Value,
    section: &str,
    where_: &dyn std::fmt::Display,
) -> Result<&'a toml::Table> {
    value
        .as_table()
        .ok_or_else(|| Error::config(format!("`{section}` in {where_} must be a table")))
}

fn unknown(key: &str, section: &str, valid: &[&str], where_: &dyn std::fmt::Display) -> Error {
    Error::config(format!("unknown key `{key}` in {section} of {where_}"))
        .hint(format!("valid keys there: {}", valid.join(", ")))
}

/// Warns when a file holding an inline secret can be read by other users.
fn warn_if_exposed(path: &Path, parsed: &Parsed) {
    let inline = parsed.profiles.values().any(|p| {
        p.providers.iter().any(|(name, t)| {
            PROVIDERS
                .iter()
                .find(|i| i.name == name)
                .is_some_and(|i| t.values.contains_key(i.secret_key))
        })
    });
    if inline && readable_by_others(path) {
        tracing::warn!(
            "{} holds a credential and can be read by other users: run `chmod 600 {}`",
            path.display(),
            path.display()
        );
    }
}

#[cfg(unix)]
fn readable_by_others(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o044 != 0)
}

#[cfg(not(unix))]
fn readable_by_others(_path: &Path) -> bool {
    false
}
