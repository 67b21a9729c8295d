//! `certctl sertifika ...`: arguments checked, reads sent and printed as tables or
//! JSON, operations built by the adapter and run by the engine. The issuing CSV and
//! a saved template are read here, so the adapter stays free of I/O.

use std::io::Read;
use std::path::Path;

use serde_json::Value;

use crate::cli::sertifika::{
    CertificateVerb, IssueArgs, ListArgs, Noun, RevokeArgs, TemplateVerb, UserArgs, UserVerb,
};
use crate::commands::Context;
use crate::engine::request::Request;
use crate::error::{Error, ErrorKind, Result};
use crate::outcome::Outcome;
use crate::output::{self, table::of_objects};
use crate::providers::ProviderId;
use crate::providers::sertifika::{self, Target, TemplateId};

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
            read(ctx, "templates.list", req, |v| {
                of_objects(v, &[("id", "id"), ("name", "certificateName")])
            })
            .await
        }
        Noun::Templates(TemplateVerb::Show { template }) => {
            let template = template_id(&template)?;
            let req = sertifika::template_show(&target, &template);
            read(ctx, "templates.show", req, template_text).await
        }
        Noun::Users(UserVerb::List) => {
            target.company = company(ctx)?;
            let req = sertifika::users_list(&target);
            read(ctx, "users.list", req, users_table).await
        }
        Noun::Users(UserVerb::Show(args)) => {
            target.company = company(ctx)?;
            let code = user_code(&args)?;
            let req = sertifika::user_show(&target, &code);
            read(ctx, "users.show", req, users_table).await
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
            read(ctx, "certificates.list", req, |v| {
                of_objects(v, holder_columns)
            })
            .await
        }
        (Some(t), None) => {
            let req = sertifika::template_users(target, &t);
            read(ctx, "certificates.list", req, |v| {
                of_objects(v, holder_columns)
            })
            .await
        }
        (None, Some(c)) => {
            let req = sertifika::user_certificates(target, &c);
            read(ctx, "certificates.list", req, |v| {
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

/// Sends one read request and prints its JSON; HTTP errors become the command's error.
async fn read(
    ctx: &Context,
    name: &'static str,
    req: Request,
    table: impl FnOnce(&Value) -> String,
) -> Result<Outcome> {
    let Some(value) = fetch(ctx, name, req).await? else {
        return Ok(Outcome::Success);
    };
    output::print_read(ctx.engine.format, &value, table).map_err(crate::engine::io_error)?;
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
    let rows = sheet.rows(&template, keys.as_deref()).map_err(refused)?;
    let mut op = sertifika::issue(target, rows, args.batch_size as usize);
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
    let ids = crate::input::open(
        items,
        args.source.from.as_deref(),
        sertifika::check_email_or_code,
        ctx.resumed(),
    )?;
    ctx.run(sertifika::revoke(target, &template, ids)).await
}
