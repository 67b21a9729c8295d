//! How the command line spells the values of types that live in lower layers:
//! clap's `ValueEnum` is implemented above them (here for the output format, in a
//! provider's command module for its own types), so no clap type reaches below the
//! CLI.

use clap::ValueEnum;
use clap::builder::PossibleValue;

use crate::output::Format;

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
pub(crate) use value_enum;

value_enum!(Format {
    Format::Text => "text": "For people: aligned tables, one line per item",
    Format::Json => "json": "Exactly one JSON document",
    Format::Ndjson => "ndjson": "One JSON object per line as items complete, then a summary line",
    Format::Ids => "ids": "List commands only: each listed object's ID on a line of its own",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_spelled_as_the_contract_says() {
        let names: Vec<String> = Format::value_variants()
            .iter()
            .map(|f| f.to_possible_value().unwrap().get_name().to_string())
            .collect();
        assert_eq!(names, ["text", "json", "ndjson", "ids"]);
    }
}
