//! How the command line spells the values of types that live in lower layers (the
//! output format, DigiCert's revocation reasons and certificate naming): clap's
//! `ValueEnum` is implemented here, so no clap type reaches below the CLI.

use clap::ValueEnum;
use clap::builder::PossibleValue;

use crate::output::Format;
use crate::providers::digicert::{By, Reason};

/// Implements `ValueEnum` for a type of another layer: each variant, its name on
/// the command line, and its help.
macro_rules! value_enum {
    ($ty:ty { $($variant:path => $name:literal : $help:literal),+ $(,)? }) => {
        impl ValueEnum for $ty {
            fn value_variants<'a>() -> &'a [Self] {
                &[$($variant),+]
            }

            fn to_possible_value(&self) -> Option<PossibleValue> {
                Some(match self {
                    $($variant => PossibleValue::new($name).help($help)),+
                })
            }
        }
    };
}

value_enum!(Format {
    Format::Text => "text": "For people: aligned tables, one line per item",
    Format::Json => "json": "Exactly one JSON document",
    Format::Ndjson => "ndjson": "One JSON object per line as items complete, then a summary line",
});

value_enum!(Reason {
    Reason::Unspecified => "unspecified": "No particular reason",
    Reason::KeyCompromise => "key-compromise": "The private key was (or may have been) exposed",
    Reason::AffiliationChanged => "affiliation-changed": "The subject's affiliation or name changed",
    Reason::Superseded => "superseded": "A new certificate replaces this one",
    Reason::CessationOfOperation => "cessation-of-operation": "The certificate is no longer needed",
});

value_enum!(By {
    By::Id => "id": "A certificate ID (a positive integer)",
    By::Serial => "serial": "A serial number in hex (0A1B... or 0a:1b:...)",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_map_to_api_values() {
        let pairs: Vec<(String, &str)> = Reason::value_variants()
            .iter()
            .map(|r| {
                let name = r.to_possible_value().unwrap().get_name().to_string();
                (name, r.api_value())
            })
            .collect();
        assert_eq!(
            pairs,
            [
                ("unspecified".to_string(), "unspecified"),
                ("key-compromise".to_string(), "keyCompromise"),
                ("affiliation-changed".to_string(), "affiliationChanged"),
                ("superseded".to_string(), "superseded"),
                ("cessation-of-operation".to_string(), "cessationOfOperation"),
            ]
        );
    }

    #[test]
    fn formats_are_spelled_as_the_contract_says() {
        let names: Vec<String> = Format::value_variants()
            .iter()
            .map(|f| f.to_possible_value().unwrap().get_name().to_string())
            .collect();
        assert_eq!(names, ["text", "json", "ndjson"]);
    }
}
