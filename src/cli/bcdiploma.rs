//! `certctl bcdiploma ...`: campaigns and certificates.

use clap::{Args, Subcommand};

use super::IdSource;

/// BCdiploma nouns.
#[derive(Debug, Subcommand)]
pub enum Noun {
    /// Campaign data
    #[command(subcommand)]
    Campaigns(CampaignVerb),
    /// Certificates, addressed by their keys
    #[command(subcommand)]
    Certificates(CertificateVerb),
}

/// `bcdiploma campaigns ...`
#[derive(Debug, Subcommand)]
pub enum CampaignVerb {
    /// Delete the data a campaign's certificates were generated from (irreversible)
    ///
    /// The certificates stay accessible; only the historical data is removed.
    #[command(
        after_long_help = "EXAMPLES:\n  certctl bcdiploma campaigns delete-history 5f1a2b --dry-run\n  certctl --yes bcdiploma campaigns delete-history 5f1a2b"
    )]
    DeleteHistory {
        /// The campaign's ID
        #[arg(value_name = "CAMPAIGN_ID")]
        campaign: String,
    },
}

/// `bcdiploma certificates ...`
#[derive(Debug, Subcommand)]
pub enum CertificateVerb {
    /// Delete certificates for good (irreversible)
    #[command(
        after_long_help = "EXAMPLES:\n  certctl bcdiploma certificates delete 12DC1EBE... EE064BB1... --dry-run\n  certctl --yes bcdiploma certificates delete --from keys.txt"
    )]
    Delete(KeysArgs),
    /// Disable certificates until they are enabled again
    #[command(
        after_long_help = "EXAMPLES:\n  certctl bcdiploma certificates disable --campaign demo-campaign\n  certctl bcdiploma certificates disable --from keys.txt --batch-size 200"
    )]
    Disable(ToggleArgs),
    /// Re-enable disabled certificates
    #[command(
        after_long_help = "EXAMPLES:\n  certctl bcdiploma certificates enable --campaign demo-campaign\n  certctl bcdiploma certificates enable 12DC1EBE..."
    )]
    Enable(ToggleArgs),
}

/// Keys to delete.
#[derive(Debug, Args)]
pub struct KeysArgs {
    /// Certificate keys (the `key` field of the campaign data)
    #[arg(value_name = "KEY")]
    pub keys: Vec<String>,
    #[command(flatten)]
    pub source: IdSource,
    /// Keys per request
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
    pub batch_size: u32,
}

/// Keys and/or a campaign to disable or enable.
#[derive(Debug, Args)]
pub struct ToggleArgs {
    /// Certificate keys
    #[arg(value_name = "KEY")]
    pub keys: Vec<String>,
    #[command(flatten)]
    pub source: IdSource,
    /// Every certificate of this campaign (one request)
    #[arg(long, value_name = "ID")]
    pub campaign: Option<String>,
    /// Keys per request
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
    pub batch_size: u32,
}
