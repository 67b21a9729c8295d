//! `certctl bcdiploma ...`: arguments checked, the adapter's operation run.

use crate::cli::bcdiploma::{CampaignVerb, CertificateVerb, Noun, ToggleArgs};
use crate::commands::Context;
use crate::engine::Operation;
use crate::error::{Error, Result};
use crate::outcome::Outcome;
use crate::providers::{ProviderId, bcdiploma};

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
                let ids = crate::input::open(
                    args.keys,
                    args.source.from.as_deref(),
                    crate::input::any_id,
                    ctx.resumed(),
                )?;
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
    let ids = open_keys(args.keys, args.source.from.as_deref(), ctx.resumed())?;
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

/// Opens the keys when there are any.
fn open_keys(
    keys: Vec<String>,
    from: Option<&std::path::Path>,
    resumed: crate::input::Resumed,
) -> Result<Option<crate::input::Ids>> {
    if has_keys(&keys, from) {
        crate::input::open(keys, from, crate::input::any_id, resumed).map(Some)
    } else {
        Ok(None)
    }
}
