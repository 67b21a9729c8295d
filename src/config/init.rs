//! The commented file `certctl config init` writes.

/// A config file that documents every setting, with no secret in it.
pub const TEMPLATE: &str = r#"# certctl configuration.
# Every setting can also come from the environment as CERTCTL_<PROVIDER>_<SETTING>
# (for example CERTCTL_DIGICERT_API_KEY); a flag beats the environment, which beats
# this file. Keep secrets in *_file settings or in the environment where you can.

# The profile used when --profile / CERTCTL_PROFILE is not given.
default_profile = "default"

[profiles.default]
# journal = false          # stop recording state changes in the journal

[profiles.default.bcdiploma]
# base_url = "https://api.bcdiploma.com"    # EU (default); US: https://api-cus.bcdiploma.com
# token_file = "/run/secrets/bcdiploma"     # or token = "..."
# rate = 10                                 # requests per second; default: the documented budget

[profiles.default.origin]
# base_url = "https://origin.build/equinox"
# token_file = "/run/secrets/origin"

[profiles.default.digicert]
# base_url = "https://www.digicert.com/services/v2"   # EU: https://certcentral.digicert.eu/services/v2
# api_key_file = "/run/secrets/digicert"

[profiles.default.sertifika]
# base_url = "https://sertifikalarim.com"
# token_file = "/run/secrets/sertifika"
# company_id = "..."
"#;
