//! `certctl sertifika ...`: arguments checked, reads sent and printed as tables or
//! JSON, operations built by the adapter and run by the engine. The issuing CSV and
//! a saved template are read here, so the adapter stays free of I/O.

use std::io::Read;
use std::path::Path;
use std::path::PathBuf;

use clap::{ArgGroup, Args, Subcommand};
use serde_json::Value;

use super::context::Context;
use crate::cli::{IdSource, Resuming};
use crate::engine::request::Request;
use crate::engine::{Spec, Step};
use crate::error::{Error, ErrorKind, Result};
use crate::input::{Decision, Passed};
use crate::outcome::Outcome;
use crate::output::{self, table::of_objects};
use crate::providers::ProviderId;
use crate::providers::sertifika::{self, Target, TemplateId};

/// Sertifika Merkezi nouns.
#[derive(Debug, Subcommand)]
pub enum Noun {
    /// Certificate templates of the company
    #[command(subcommand)]
    Templates(TemplateVerb),
    /// Users of the company
    #[command(subcommand)]
    Users(UserVerb),
    /// Certificates: templates awarded to users
    #[command(subcommand)]
    Certificates(CertificateVerb),
}

/// `sertifika templates ...`
#[derive(Debug, Subcommand)]
pub enum TemplateVerb {
    /// List the company's templates
    #[command(
        after_long_help = "EXAMPLES:\n  certctl sertifika templates list\n  certctl -o json sm templates list"
    )]
    List,
    /// Show one template and its property keys
    ///
    /// Save it with `-o json` to check an issuing CSV offline with
    /// `certificates issue --dry-run --template-file FILE`.
    #[command(
        after_long_help = "EXAMPLES:\n  certctl sertifika templates show 64c9f080-2314-4f02-a43c-923d83e8e444\n  certctl -o json sm templates show 64c9f080-2314-4f02-a43c-923d83e8e444 > template.json"
    )]
    Show {
        /// The template's ID (a GUID)
        #[arg(value_name = "TEMPLATE_ID")]
        template: String,
    },
}

/// `sertifika users ...`
#[derive(Debug, Subcommand)]
pub enum UserVerb {
    /// List the company's users
    #[command(
        after_long_help = "EXAMPLES:\n  certctl sertifika users list\n  certctl -o json sm users list"
    )]
    List,
    /// Show one user of the company
    #[command(
        after_long_help = "EXAMPLES:\n  certctl sertifika users show john.doe@example.com\n  certctl sm users show --user-code 8eb1b522f60d11fa897de1dc6351b7e8"
    )]
    Show(UserArgs),
}

/// A user, by e-mail or user code.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("user").required(true).args(["email", "user_code"])))]
pub struct UserArgs {
    /// The user's e-mail address
    #[arg(value_name = "EMAIL")]
    pub email: Option<String>,
    /// The user's code (MD5 of the lowercased e-mail) instead of the e-mail
    #[arg(long, value_name = "HEX")]
    pub user_code: Option<String>,
}

/// `sertifika certificates ...`
#[derive(Debug, Subcommand)]
pub enum CertificateVerb {
    /// List the certificates of a user, of a template, or of a user for a template
    #[command(
        after_long_help = "EXAMPLES:\n  certctl sertifika certificates list --email john.doe@example.com\n  certctl sm certificates list --template 64c9f080-2314-4f02-a43c-923d83e8e444\n  certctl sm certificates list --template 64c9f080-2314-4f02-a43c-923d83e8e444 --email john.doe@example.com"
    )]
    List(ListArgs),
    /// Issue a template to the people listed in a CSV file
    ///
    /// The CSV has a header row: `name`, `surname`, `email` are required; `hour`,
    /// `point` (numbers) and `educator` are optional; each `prop:KEY` column fills the
    /// template property KEY; `tags` holds `;`-separated meta tags. The template is
    /// fetched first and a file that does not fit it is refused with every mistake
    /// listed, before anything is posted. An issue request is never sent twice.
    #[command(
        after_long_help = "EXAMPLES:\n  certctl sertifika certificates issue --template 64c9f080-2314-4f02-a43c-923d83e8e444 --from people.csv\n  certctl sm templates show 64c9f080-2314-4f02-a43c-923d83e8e444 -o json > template.json\n  certctl --dry-run sm certificates issue --template 64c9f080-2314-4f02-a43c-923d83e8e444 --from people.csv --template-file template.json"
    )]
    Issue(IssueArgs),
    /// Revoke a template from users, or from all its users (irreversible)
    #[command(
        after_long_help = "EXAMPLES:\n  certctl sertifika certificates revoke --template 64c9f080-2314-4f02-a43c-923d83e8e444 john.doe@example.com --dry-run\n  certctl --yes sm certificates revoke --template 64c9f080-2314-4f02-a43c-923d83e8e444 --from emails.txt\n  certctl --yes sm certificates revoke --template 64c9f080-2314-4f02-a43c-923d83e8e444 --all"
    )]
    Revoke(RevokeArgs),
}

/// Whose certificates to list.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("what").required(true).multiple(true).args(["template", "email", "user_code"])))]
pub struct ListArgs {
    /// Certificates of this template (a GUID)
    #[arg(long, value_name = "TEMPLATE_ID")]
    pub template: Option<String>,
    /// Certificates of this user
    #[arg(long, value_name = "EMAIL", conflicts_with = "user_code")]
    pub email: Option<String>,
    /// Certificates of the user with this code, instead of --email
    #[arg(long, value_name = "HEX")]
    pub user_code: Option<String>,
}

/// What to issue to whom.
#[derive(Debug, Args)]
pub struct IssueArgs {
    /// The template to issue (a GUID)
    #[arg(long, value_name = "TEMPLATE_ID")]
    pub template: String,
    /// The CSV file of recipients (- for standard input)
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// Rows per request
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
    pub batch_size: u32,
    /// In a dry run, check the CSV against this saved `templates show -o json`
    /// (a real run always fetches the template)
    #[arg(long, value_name = "FILE")]
    pub template_file: Option<PathBuf>,
    /// Continue run RUN_ID: issue only the rows not done yet (see `certctl journal list`)
    ///
    /// Rows are told apart by e-mail. Rows that succeeded in the run's chain are
    /// skipped; failed ones are sent again. Rows whose outcome is unknown are first
    /// looked up in the template's user list: issued ones are skipped, the others
    /// sent; rows the provider cannot tell about are held back unless --retry-unknown.
    #[arg(long, value_name = "RUN_ID")]
    pub resume: Option<String>,
    /// With --resume: send the unknown rows too, once you checked they were not issued
    #[arg(long, requires = "resume")]
    pub retry_unknown: bool,
    /// With --resume: do not look the unknown rows up in the template's user list first
    #[arg(long, requires = "resume")]
    pub no_reconcile: bool,
}

/// Whose certificates of a template to revoke.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The template to revoke (a GUID)
    #[arg(long, value_name = "TEMPLATE_ID")]
    pub template: String,
    /// E-mail addresses of the users
    #[arg(value_name = "EMAIL")]
    pub emails: Vec<String>,
    #[command(flatten)]
    pub source: IdSource,
    /// A user's code instead of an e-mail (repeat for several)
    #[arg(long = "user-code", value_name = "HEX")]
    pub user_codes: Vec<String>,
    /// Every user holding the template (one request)
    #[arg(long, conflicts_with_all = ["emails", "from", "user_codes"])]
    pub all: bool,
}

impl Noun {
    /// What the verb asks of `--resume`, if it takes it.
    pub fn resuming(&self) -> Option<Resuming> {
        match self {
            Noun::Certificates(CertificateVerb::Issue(args)) => {
                Resuming::of(&args.resume, args.retry_unknown, args.no_reconcile)
            }
            Noun::Certificates(CertificateVerb::Revoke(args)) => args.source.resuming(),
            Noun::Templates(_) | Noun::Users(_) | Noun::Certificates(CertificateVerb::List(_)) => {
                None
            }
        }
    }
}

impl Noun {
    /// The operation the verb runs; `None` for a read.
    pub fn spec(&self) -> Option<&'static Spec> {
        match self {
            Noun::Certificates(CertificateVerb::Issue(_)) => Some(&sertifika::CERTIFICATES_ISSUE),
            Noun::Certificates(CertificateVerb::Revoke(_)) => Some(&sertifika::CERTIFICATES_REVOKE),
            Noun::Templates(_) | Noun::Users(_) | Noun::Certificates(CertificateVerb::List(_)) => {
                None
            }
        }
    }
}

/// Runs a `sertifika` command and returns the exit code.
pub async fn run(noun: Noun, ctx: &Context) -> Result<Outcome> {
    let p = ctx.settings.provider(ProviderId::Sertifika);
    let base = p.base_url()?;
    let token = p.secret()?.clone();
    // Only the company-wide reads need company_id; ask for it only then.
    let company = |ctx: &Context| -> Result<String> {
        Ok(ctx
            .settings
            .provider(ProviderId::Sertifika)
            .extra("company_id")?
            .to_string())
    };
    let mut target = Target {
        base,
        token,
        company: String::new(),
    };
    match noun {
        Noun::Templates(TemplateVerb::List) => {
            target.company = company(ctx)?;
            let req = sertifika::templates_list(&target);
            let ids = Ids::Field("id");
            read(ctx, "templates.list", req, ids, |v| {
                of_objects(v, &[("id", "id"), ("name", "certificateName")])
            })
            .await
        }
        Noun::Templates(TemplateVerb::Show { template }) => {
            let template = template_id(&template)?;
            let req = sertifika::template_show(&target, &template);
            read(ctx, "templates.show", req, Ids::None, template_text).await
        }
        Noun::Users(UserVerb::List) => {
            target.company = company(ctx)?;
            let req = sertifika::users_list(&target);
            read(ctx, "users.list", req, Ids::Field("email"), users_table).await
        }
        Noun::Users(UserVerb::Show(args)) => {
            target.company = company(ctx)?;
            let code = user_code(&args)?;
            let req = sertifika::user_show(&target, &code);
            read(ctx, "users.show", req, Ids::None, users_table).await
        }
        Noun::Certificates(CertificateVerb::List(args)) => list(ctx, &target, args).await,
        Noun::Certificates(CertificateVerb::Issue(args)) => issue(ctx, &target, args).await,
        Noun::Certificates(CertificateVerb::Revoke(args)) => revoke(ctx, &target, args).await,
    }
}

/// A checked template ID, or a usage error naming the bad value.
fn template_id(text: &str) -> Result<TemplateId> {
    TemplateId::parse(text).map_err(Error::usage)
}

/// The user code of an e-mail argument (trimmed, checked) or of `--user-code`.
fn code_for(email: Option<&str>, code: Option<&str>) -> Result<Option<String>> {
    if let Some(code) = code {
        let code = code.trim();
        sertifika::check_user_code(code).map_err(Error::usage)?;
        return Ok(Some(code.to_ascii_lowercase()));
    }
    match email {
        Some(email) => {
            let email = email.trim();
            sertifika::check_email(email).map_err(Error::usage)?;
            Ok(Some(sertifika::user_code(email)))
        }
        None => Ok(None),
    }
}

fn user_code(args: &UserArgs) -> Result<String> {
    code_for(args.email.as_deref(), args.user_code.as_deref())?
        .ok_or_else(|| Error::usage("give an e-mail or --user-code HEX"))
}

async fn list(ctx: &Context, target: &Target, args: ListArgs) -> Result<Outcome> {
    let template = args.template.as_deref().map(template_id).transpose()?;
    let code = code_for(args.email.as_deref(), args.user_code.as_deref())?;
    // `-o ids`: the holder's e-mail; a user's own certificates carry none, so the
    // e-mail asked about stands for it.
    let asked = args.email.as_deref().map(str::trim);
    let holders = Ids::FieldOr("email", asked);
    let holder_columns: &[(&str, &str)] = &[
        ("id", "id"),
        ("name", "name"),
        ("surname", "surname"),
        ("email", "email"),
        ("created", "createdDate"),
    ];
    match (template, code) {
        (Some(t), Some(c)) => {
            let req = sertifika::template_user(target, &t, &c);
            read(ctx, "certificates.list", req, holders, |v| {
                of_objects(v, holder_columns)
            })
            .await
        }
        (Some(t), None) => {
            let req = sertifika::template_users(target, &t);
            read(ctx, "certificates.list", req, holders, |v| {
                of_objects(v, holder_columns)
            })
            .await
        }
        (None, Some(c)) => {
            let req = sertifika::user_certificates(target, &c);
            read(ctx, "certificates.list", req, holders, |v| {
                of_objects(
                    v,
                    &[
                        ("connection id", "connectionId"),
                        ("template", "certificateName"),
                        ("company", "companyName"),
                        ("private", "isPrivate"),
                    ],
                )
            })
            .await
        }
        (None, None) => Err(Error::usage("give --template ID, --email EMAIL or both")),
    }
}

/// What `-o ids` prints of a read's objects.
#[derive(Debug, Clone, Copy)]
enum Ids<'a> {
    /// Not a list: `-o ids` was refused before anything was sent.
    None,
    /// This field of each object.
    Field(&'static str),
    /// This field, or the given value where an object lacks it.
    FieldOr(&'static str, Option<&'a str>),
}

/// Sends one read request and prints its JSON; HTTP errors become the command's error.
async fn read(
    ctx: &Context,
    name: &'static str,
    req: Request,
    ids: Ids<'_>,
    table: impl FnOnce(&Value) -> String,
) -> Result<Outcome> {
    let Some(value) = fetch(ctx, name, req).await? else {
        return Ok(Outcome::Success);
    };
    let printed = match (ctx.engine.format, ids) {
        (output::Format::Ids, Ids::Field(key)) => output::print_ids(&value, key, None),
        (output::Format::Ids, Ids::FieldOr(key, or)) => output::print_ids(&value, key, or),
        (format, _) => output::print_read(format, &value, table),
    };
    printed.map_err(crate::error::io_error)?;
    Ok(Outcome::Success)
}

/// Sends one read request and returns its JSON (`None` in a dry run).
async fn fetch(ctx: &Context, name: &'static str, req: Request) -> Result<Option<Value>> {
    let pace = ctx.pace(ProviderId::Sertifika);
    let Some(resp) = ctx
        .engine
        .read(ProviderId::Sertifika, name, req, pace)
        .await?
    else {
        return Ok(None);
    };
    if !resp.is_success() {
        return Err(sertifika::read_error(name, &resp));
    }
    match resp.json() {
        Some(v) => Ok(Some(v)),
        None => Err(Error::new(
            ErrorKind::InvalidResponse,
            format!(
                "sertifika {name}: the answer (HTTP {}) is not JSON",
                resp.status
            ),
        )),
    }
}

fn users_table(v: &Value) -> String {
    of_objects(
        v,
        &[("name", "name"), ("surname", "surname"), ("email", "email")],
    )
}

/// A template in text: its ID, then its properties (the keys a CSV's `prop:` columns use).
fn template_text(v: &Value) -> String {
    let item = v
        .get("certificateItem")
        .and_then(Value::as_array)
        .and_then(|a| a.first());
    let id = item
        .and_then(|i| i.get("id"))
        .map(|i| output::table::cell(Some(i)));
    let props = item
        .and_then(|i| i.get("Properties"))
        .cloned()
        .unwrap_or(Value::Array(Vec::new()));
    format!(
        "template {}\n\n{}",
        id.unwrap_or_default(),
        of_objects(&props, &[("property key", "key"), ("value", "value")])
    )
}

/// `certificates issue`: the CSV's form is checked first, so a broken file is
/// refused before any request (the template GET included); then the mistakes in
/// its values and against the template's properties are listed together, and only
/// a file without any is posted.
async fn issue(ctx: &Context, target: &Target, args: IssueArgs) -> Result<Outcome> {
    let template = template_id(&args.template)?;
    let data = read_input(&args.from)?;
    let refused = |mistakes: Vec<String>| refuse_csv(&args.from, mistakes);
    let sheet = sertifika::parse_csv(&data, &template).map_err(refused)?;
    let mut notes = Vec::new();
    let keys = if ctx.engine.dry_run {
        match &args.template_file {
            Some(path) => {
                let text = std::fs::read(path).map_err(|e| {
                    Error::usage(format!(
                        "cannot read the template file {}: {e}",
                        path.display()
                    ))
                })?;
                let value: Value = serde_json::from_slice(&text).map_err(|e| {
                    Error::usage(format!(
                        "{} is not a saved `templates show -o json`: {e}",
                        path.display()
                    ))
                })?;
                Some(template_keys(&value, &path.display().to_string())?)
            }
            None => {
                notes.push("the template check was skipped: the prop: columns were not compared with the template (give --template-file FILE, a saved `templates show -o json`, to check them)".to_string());
                None
            }
        }
    } else {
        if let Some(path) = &args.template_file {
            tracing::warn!(
                "--template-file {} is used by dry runs only; checking against the live template instead",
                path.display()
            );
        }
        let req = sertifika::template_show(target, &template);
        match fetch(ctx, "templates.show", req).await? {
            Some(value) => Some(template_keys(&value, &format!("template {template}"))?),
            None => None,
        }
    };
    let mut rows = sheet.rows(&template, keys.as_deref()).map_err(refused)?;
    // The rows --resume passes over come first, as values the engine reports.
    let mut passed = Vec::new();
    if let Some(resume) = &ctx.engine.resume {
        let spec = &sertifika::CERTIFICATES_ISSUE;
        resume.attach(spec.provider.name(), spec.name, spec.idempotent)?;
        rows.retain(|row| match resume.plan(&row.email) {
            Decision::Send => true,
            Decision::Skip => {
                passed.push(Ok(Step::Passed(Passed::Skipped(row.email.clone()))));
                false
            }
            Decision::Hold => {
                passed.push(Ok(Step::Passed(Passed::Held(row.email.clone()))));
                false
            }
        });
    }
    let mut op = sertifika::issue(target, &template, rows, args.batch_size as usize);
    op.units = Box::new(passed.into_iter().chain(op.units));
    op.notes = notes;
    ctx.run(op).await
}

/// The usage error of a CSV that cannot be issued: one sentence for one mistake,
/// else every mistake on its own line, so the file can be fixed in one go.
fn refuse_csv(path: &Path, mistakes: Vec<String>) -> Error {
    let file = path.display();
    let message = match mistakes.as_slice() {
        [one] => format!("{file} cannot be issued, nothing was sent: {one}"),
        all => format!(
            "{file} cannot be issued, nothing was sent ({} mistakes):\n  {}",
            all.len(),
            all.join("\n  ")
        ),
    };
    Error::usage(message).hint(
        "fix the file and run again; `certctl sertifika templates show ID` lists the template's property keys",
    )
}

fn template_keys(value: &Value, source: &str) -> Result<Vec<String>> {
    sertifika::template_keys(value).map_err(|m| {
        Error::new(
            ErrorKind::InvalidResponse,
            format!("{source} cannot be read as a template: {m}"),
        )
    })
}

/// The whole CSV (`-` is standard input); issue lists are small enough to hold.
fn read_input(path: &Path) -> Result<Vec<u8>> {
    let mut data = Vec::new();
    let read = if path == Path::new("-") {
        std::io::stdin().read_to_end(&mut data).map(|_| ())
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut data).map(|_| ()))
    };
    read.map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display())))?;
    Ok(data)
}

async fn revoke(ctx: &Context, target: &Target, args: RevokeArgs) -> Result<Outcome> {
    let template = template_id(&args.template)?;
    if args.all {
        ctx.refuse_uncounted("--all")?;
        return ctx.run(sertifika::revoke_all(target, &template)).await;
    }
    let mut items = args.emails;
    for code in &args.user_codes {
        let code = code.trim();
        sertifika::check_user_code(code).map_err(|m| Error::usage(format!("--user-code {m}")))?;
        items.push(code.to_string());
    }
    if items.iter().all(|i| i.trim().is_empty()) && args.source.from.is_none() {
        return Err(
            Error::usage("give e-mails, --from FILE, --user-code HEX or --all")
                .hint("for example: certctl sertifika certificates revoke --template ID john.doe@example.com"),
        );
    }
    let ids = ctx.ids(items, &args.source, sertifika::check_email_or_code)?;
    ctx.run(sertifika::revoke(target, &template, ids)).await
}

#[cfg(test)]
mod tests {
    use crate::commands::{Cli, Command};
    use clap::Parser;

    const TID: &str = "64c9f080-2314-4f02-a43c-923d83e8e444";

    #[test]
    fn the_alias_and_groups_parse() {
        let cli =
            Cli::try_parse_from(["certctl", "sm", "users", "show", "--user-code", "ab"]).unwrap();
        assert!(matches!(cli.command, Command::Sertifika(_)));
        assert!(Cli::try_parse_from(["certctl", "sm", "users", "show"]).is_err());
        assert!(Cli::try_parse_from(["certctl", "sm", "certificates", "list"]).is_err());
        assert!(
            Cli::try_parse_from([
                "certctl",
                "sm",
                "certificates",
                "list",
                "--email",
                "a@b",
                "--user-code",
                "x"
            ])
            .is_err()
        );
        assert!(
            Cli::try_parse_from([
                "certctl",
                "sm",
                "certificates",
                "revoke",
                "--template",
                TID,
                "--all",
                "a@b"
            ])
            .is_err()
        );
        assert!(
            Cli::try_parse_from([
                "certctl",
                "sm",
                "certificates",
                "issue",
                "--template",
                TID,
                "--from",
                "x.csv",
                "--batch-size",
                "0"
            ])
            .is_err()
        );
    }
}
