//! The commented file `certctl config init` writes, one table per row of the
//! provider registry, so a new provider's settings appear in it by themselves.

use crate::registry::PROVIDERS;

/// The head of the file: how settings are found, and the profile's own settings.
const HEAD: &str = r#"# certctl configuration.
# Every setting can also come from the environment as CERTCTL_<PROVIDER>_<SETTING>
# (for example CERTCTL_DIGICERT_API_KEY); a flag beats the environment, which beats
# this file. Keep secrets in *_file settings or in the environment where you can.

# The profile used when --profile / CERTCTL_PROFILE is not given.
default_profile = "default"

[profiles.default]
# journal = false          # stop recording state changes in the journal
# metrics_file = "/var/lib/node_exporter/textfile_collector/certctl.prom"    # Prometheus text file updated after each run
# max_items = 500          # refuse an operation on more items than this (--max-items)
"#;

/// A config file that documents every setting, with no secret in it.
pub fn template() -> String {
    let mut out = HEAD.to_string();
    for p in &PROVIDERS {
        out.push_str(&format!("\n[profiles.default.{}]\n", p.name));
        out.push_str(&format!(
            "# base_url = \"{}\"    # {}\n",
            p.default_base_url, p.base_url_note
        ));
        out.push_str(&format!(
            "# {key}_file = \"/run/secrets/{}\"    # or {key} = \"...\"\n",
            p.name,
            key = p.secret_key
        ));
        for key in p.extra_keys {
            out.push_str(&format!("# {key} = \"...\"\n"));
        }
        let budget = if p.budget.is_empty() {
            "none documented: unlimited".to_string()
        } else {
            p.budget
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" and ")
        };
        out.push_str(&format!(
            "# rate = 10    # requests per second; default: the documented budget ({budget})\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_names_every_setting_of_every_provider_and_parses() {
        let text = template();
        let parsed: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(parsed["default_profile"].as_str(), Some("default"));
        for p in &PROVIDERS {
            assert!(text.contains(&format!("[profiles.default.{}]", p.name)));
            assert!(text.contains(&format!("# {}_file = ", p.secret_key)));
            for key in p.extra_keys {
                assert!(text.contains(&format!("# {key} = ")), "{key}");
            }
        }
        assert!(text.contains("certcentral.digicert.eu"));
        assert!(text.contains("100 per 5s and 500 per 1m"));
    }
}
