//! `certctl bcdiploma ...`: arguments checked, the adapter's operation run.

use clap::{Args, Subcommand};

use super::context::Context;
use crate::cli::{IdSource, Resuming};
use crate::engine::Operation;
use crate::engine::Spec;
use crate::error::{Error, Result};
use crate::outcome::Outcome;
use crate::providers::{ProviderId, bcdiploma};

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

impl Noun {
    /// The operation the verb runs; every BCdiploma verb changes state.
    pub fn spec(&self) -> Option<&'static Spec> {
        Some(match self {
            Noun::Campaigns(CampaignVerb::DeleteHistory { .. }) => {
                &bcdiploma::CAMPAIGNS_DELETE_HISTORY
            }
            Noun::Certificates(CertificateVerb::Delete(_)) => &bcdiploma::CERTIFICATES_DELETE,
            Noun::Certificates(CertificateVerb::Disable(_)) => &bcdiploma::CERTIFICATES_DISABLE,
            Noun::Certificates(CertificateVerb::Enable(_)) => &bcdiploma::CERTIFICATES_ENABLE,
        })
    }
}

impl Noun {
    /// What the verb asks of `--resume`, if it takes it.
    pub fn resuming(&self) -> Option<Resuming> {
        match self {
            Noun::Campaigns(CampaignVerb::DeleteHistory { .. }) => None,
            Noun::Certificates(CertificateVerb::Delete(args)) => args.source.resuming(),
            Noun::Certificates(CertificateVerb::Disable(args) | CertificateVerb::Enable(args)) => {
                args.source.resuming()
            }
        }
    }
}

/// Runs a `bcdiploma` command and returns the exit code.
pub async fn run(noun: Noun, ctx: &Context) -> Result<Outcome> {
    let p = ctx.settings.provider(ProviderId::Bcdiploma);
    let target = bcdiploma::Target {
        base: p.base_url()?,
        token: p.secret()?.clone(),
    };
    let op = match noun {
        Noun::Campaigns(CampaignVerb::DeleteHistory { campaign }) => {
            if campaign.trim().is_empty() {
                return Err(Error::usage("the campaign ID is empty"));
            }
            bcdiploma::delete_history(&target, campaign.trim())
        }
        Noun::Certificates(verb) => match verb {
            CertificateVerb::Delete(args) => {
                let ids = ctx.ids(args.keys, &args.source, crate::input::any_id)?;
                bcdiploma::delete(&target, ids, args.batch_size as usize)
            }
            CertificateVerb::Disable(args) => toggle(ctx, &target, args, false)?,
            CertificateVerb::Enable(args) => toggle(ctx, &target, args, true)?,
        },
    };
    ctx.run(op).await
}

fn toggle(
    ctx: &Context,
    target: &bcdiploma::Target,
    args: ToggleArgs,
    enable: bool,
) -> Result<Operation> {
    let campaign = args.campaign.map(|c| c.trim().to_string());
    if campaign.as_deref() == Some("") {
        return Err(Error::usage("the --campaign ID is empty"));
    }
    if campaign.is_some() {
        ctx.refuse_uncounted("--campaign")?;
    }
    let ids = if has_keys(&args.keys, args.source.from.as_deref()) {
        Some(ctx.ids(args.keys, &args.source, crate::input::any_id)?)
    } else {
        None
    };
    if ids.is_none() && campaign.is_none() {
        return Err(Error::usage("give certificate keys or --campaign ID")
            .hint("for example: certctl bcdiploma certificates disable --campaign demo-campaign"));
    }
    Ok(bcdiploma::toggle(
        target,
        ids,
        campaign,
        enable,
        args.batch_size as usize,
    ))
}

/// Whether the input gives keys at all (positional or `--from`).
fn has_keys(keys: &[String], from: Option<&std::path::Path>) -> bool {
    from.is_some() || keys.iter().any(|k| !k.trim().is_empty())
}
