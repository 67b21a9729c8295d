//! BCdiploma adapter: campaign history deletion, certificate delete/disable/enable.
//!
//! Requests carry `Authorization: Bearer <token>`; bodies are JSON. Keys are sent in
//! batches; a `--campaign` disable/enable is one request. Errors come as 400/401/403
//! with a JSON body carrying a message, which is reported as is.

use crate::engine::reconcile::Locator;
use crate::engine::request::{Method, Request, Response};
use crate::engine::{Account, Judging, Operation, Spec, Unit, Verdict};
use crate::error::unreadable_error;
use crate::error::{ErrorKind, ItemError, Result};
use crate::input::Ids;
use crate::json;
use crate::providers::adapter::{Endpoint, batched, find_message, request_count, single};
use crate::registry::ProviderId;
use crate::report::Reply;
use crate::secret::Secret;

/// Where and as whom requests go.
#[derive(Debug, Clone)]
pub struct Target {
    /// Base URL without a trailing `/`.
    pub base: String,
    /// The API token.
    pub token: Secret,
}

impl Target {
    /// The account requests go to, as the engine's judges see it.
    fn account(&self) -> Account {
        Account {
            base: self.base.clone(),
            secret: self.token.clone(),
        }
    }

    fn request(&self, method: Method, path: &str) -> Request {
        Request::new(method, format!("{}{path}", self.base)).secret_header(
            "authorization",
            Secret::new(format!("Bearer {}", self.token.expose())),
        )
    }
}

/// `campaigns delete-history CAMPAIGN_ID`: one DELETE, success is 204.
pub fn delete_history(target: &Target, campaign: &str) -> Operation {
    let encoded: String = url::form_urlencoded::byte_serialize(campaign.as_bytes()).collect();
    let request = target.request(
        Method::Delete,
        &format!("/admin/campaign?campaignId={encoded}"),
    );
    single(
        &CAMPAIGNS_DELETE_HISTORY,
        target.account(),
        campaign.to_string(),
        request,
    )
}

/// `certificates delete KEY...`: DELETE /admin/keys with a JSON array per batch.
pub fn delete(target: &Target, ids: Ids, batch_size: usize) -> Operation {
    let (count, preview) = (ids.count, ids.preview.clone());
    let account = target.account();
    let target = target.clone();
    let units = batched(ids, batch_size, move |keys| {
        let mut body = Vec::new();
        json::push_str_array(&mut body, keys);
        target
            .request(Method::Delete, "/admin/keys")
            .json_bytes(body)
    });
    Operation::new(&CERTIFICATES_DELETE, account, units).sized(
        count,
        request_count(count, batch_size),
        preview,
    )
}

/// The body of PUT /admin/keys: `{"ids":[...],"campaignId":...,"enable":...}`,
/// each part only when given. Written directly from the batch: a bulk run builds one
/// per hundred keys.
fn toggle_body(keys: &[String], campaign: Option<&str>, enable: bool) -> Vec<u8> {
    let mut body = Vec::new();
    body.push(b'{');
    if !keys.is_empty() {
        body.extend_from_slice(b"\"ids\":");
        json::push_str_array(&mut body, keys);
        body.push(b',');
    }
    if let Some(c) = campaign {
        body.extend_from_slice(b"\"campaignId\":");
        json::push_str(&mut body, c);
        body.push(b',');
    }
    body.extend_from_slice(if enable {
        b"\"enable\":true}"
    } else {
        b"\"enable\":false}"
    });
    body
}

/// `certificates disable|enable (KEY... | --campaign ID)`: PUT /admin/keys.
///
/// Keys go in batches, each body carrying `campaignId` too when one was given; a
/// campaign alone is one request whose item is the campaign.
pub fn toggle(
    target: &Target,
    ids: Option<Ids>,
    campaign: Option<String>,
    enable: bool,
    batch_size: usize,
) -> Operation {
    let spec = if enable {
        &CERTIFICATES_ENABLE
    } else {
        &CERTIFICATES_DISABLE
    };
    let account = target.account();
    let target = target.clone();
    match ids {
        Some(ids) => {
            let (count, preview) = (ids.count, ids.preview.clone());
            let units = batched(ids, batch_size, move |keys| {
                let body = toggle_body(keys, campaign.as_deref(), enable);
                target.request(Method::Put, "/admin/keys").json_bytes(body)
            });
            Operation::new(spec, account, units).sized(
                count,
                request_count(count, batch_size),
                preview,
            )
        }
        None => {
            let campaign = campaign.unwrap_or_default();
            let request = target
                .request(Method::Put, "/admin/keys")
                .json_bytes(toggle_body(&[], Some(&campaign), enable));
            single(spec, account, campaign, request)
        }
    }
}

/// Deleting a campaign's history: 204. Every BCdiploma operation is safe to
/// repeat; deleting asks for confirmation.
pub const CAMPAIGNS_DELETE_HISTORY: Spec = Spec {
    provider: ProviderId::Bcdiploma,
    name: "campaigns.delete_history",
    irreversible: true,
    idempotent: true,
    judge: |_, resp, _| Verdict::All(judge(Success::NoContent, resp)),
    read_back: None,
    locate: |_| Locator::default(),
    follow: None,
};

/// Deleting keys: 2xx with an empty or JSON body.
pub const CERTIFICATES_DELETE: Spec = Spec {
    provider: ProviderId::Bcdiploma,
    name: "certificates.delete",
    irreversible: true,
    idempotent: true,
    judge: judge_keys,
    read_back: None,
    locate: |_| Locator::default(),
    follow: None,
};

/// Disabling keys: 2xx with an empty or JSON body.
pub const CERTIFICATES_DISABLE: Spec = Spec {
    provider: ProviderId::Bcdiploma,
    name: "certificates.disable",
    irreversible: false,
    idempotent: true,
    judge: judge_keys,
    read_back: None,
    locate: |_| Locator::default(),
    follow: None,
};

/// Re-enabling keys: 2xx with an empty or JSON body.
pub const CERTIFICATES_ENABLE: Spec = Spec {
    provider: ProviderId::Bcdiploma,
    name: "certificates.enable",
    irreversible: false,
    idempotent: true,
    judge: judge_keys,
    read_back: None,
    locate: |_| Locator::default(),
    follow: None,
};

/// Every state-changing BCdiploma operation.
pub const SPECS: &[&Spec] = &[
    &CAMPAIGNS_DELETE_HISTORY,
    &CERTIFICATES_DELETE,
    &CERTIFICATES_DISABLE,
    &CERTIFICATES_ENABLE,
];

/// The documented success answer of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Success {
    /// 204 (deleting a campaign's history).
    NoContent,
    /// 2xx with an empty or JSON body (the key operations).
    EmptyOrJson,
}

/// Judges an answer: the documented success succeeds, another 2xx is an
/// `invalid_response` (an HTML page from a proxy, a truncated body), anything else is
/// an error read from the body.
fn judge(success: Success, resp: &Response) -> Result<Option<Reply>, ItemError> {
    if !resp.is_success() {
        return Err(error(resp));
    }
    let empty = resp.body.iter().all(u8::is_ascii_whitespace);
    let documented = match success {
        Success::NoContent => resp.status == 204,
        Success::EmptyOrJson => {
            empty || resp.reply().is_some() || resp.body.trim_ascii() == b"null"
        }
    };
    if documented {
        return Ok(if empty { None } else { resp.reply() });
    }
    let expected = match success {
        Success::NoContent => "204",
        Success::EmptyOrJson => "an empty or JSON body",
    };
    Err(ItemError::new(
        ErrorKind::InvalidResponse,
        format!(
            "BCdiploma answered HTTP {} {}, not the documented {expected}, so certctl cannot tell whether it worked",
            resp.status,
            if empty { "with no body" } else { "with a body that is not JSON" }
        ),
    )
    .status(resp.status))
}

/// The key operations' judge: 2xx with an empty or JSON body.
fn judge_keys(_: &Unit, resp: &Response, _: &Judging<'_>) -> Verdict {
    Verdict::All(judge(Success::EmptyOrJson, resp))
}

/// The item error for a BCdiploma error answer.
pub fn error(resp: &Response) -> ItemError {
    let fallback = unreadable_error(resp.status, &resp.body);
    match resp
        .json()
        .and_then(|v| find_message(&v, &["message", "error", "errorMessage", "detail"]))
    {
        Some(message) => ItemError {
            message,
            ..fallback
        },
        None => fallback,
    }
}

/// This adapter, as `check`, `apply` and `--plan-out` see it.
pub struct Api;

impl crate::providers::adapter::Adapter for Api {
    /// `certctl check`: the API documents no read-only request, so a GET of the root
    /// with the token only shows the host answers and does not refuse the token.
    fn probe(&self, at: &Endpoint<'_>) -> crate::providers::adapter::Probe {
        let target = Target {
            base: at.base.to_string(),
            token: at.secret.clone(),
        };
        crate::providers::adapter::Probe {
            request: target.request(Method::Get, "/"),
            verifies_credential: false,
        }
    }

    fn specs(&self) -> &'static [&'static Spec] {
        SPECS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::providers::test_support::{self, resp};
    use serde_json::json;

    fn target() -> Target {
        Target {
            base: "https://api.bcdiploma.com".into(),
            token: Secret::new("tok"),
        }
    }

    fn ids(list: &[&str]) -> Ids {
        test_support::ids(list, crate::input::any_id)
    }

    #[test]
    fn campaign_ids_are_url_encoded() {
        let mut op = delete_history(&target(), "a b&c");
        let unit = op.units.next().unwrap().unwrap().unit();
        assert_eq!(
            unit.request.url,
            "https://api.bcdiploma.com/admin/campaign?campaignId=a+b%26c"
        );
        assert_eq!(unit.request.method, Method::Delete);
        assert!(unit.request.body.is_none());
        assert_eq!(unit.request.headers[0].1.exposed(), "Bearer tok");
    }

    #[test]
    fn keys_are_batched() {
        let list: Vec<String> = (0..250).map(|i| format!("k{i}")).collect();
        let refs: Vec<&str> = list.iter().map(String::as_str).collect();
        let op = delete(&target(), ids(&refs), 100);
        assert_eq!(op.requests, Some(3));
        let sizes: Vec<usize> = op.units.map(|u| u.unwrap().unit().ids.len()).collect();
        assert_eq!(sizes, [100, 100, 50]);
    }

    #[test]
    fn toggle_bodies_follow_the_contract() {
        let body = |mut op: Operation| -> serde_json::Value {
            let unit = op.units.next().unwrap().unwrap().unit();
            serde_json::from_slice(unit.request.body.as_ref().unwrap()).unwrap()
        };
        assert_eq!(
            body(toggle(&target(), Some(ids(&["k1"])), None, false, 100)),
            json!({"ids": ["k1"], "enable": false})
        );
        assert_eq!(
            body(toggle(&target(), None, Some("c1".into()), true, 100)),
            json!({"campaignId": "c1", "enable": true})
        );
        assert_eq!(
            body(toggle(
                &target(),
                Some(ids(&["k1"])),
                Some("c1".into()),
                false,
                100
            )),
            json!({"ids": ["k1"], "campaignId": "c1", "enable": false})
        );
        assert_eq!(
            toggle_body(&["k\"1".into()], Some("c1"), false),
            br#"{"ids":["k\"1"],"campaignId":"c1","enable":false}"#,
            "keys in the documented order, escaped"
        );
    }

    #[test]
    fn errors_carry_the_provider_message() {
        let op = delete(&target(), ids(&["k"]), 100);
        let interpret = |unit: &Unit, resp: &Response| op.judge(unit, resp);
        let unit = Unit {
            ids: vec!["k".into()],
            request: Request::new(Method::Put, "x"),
        };
        match interpret(&unit, &resp(400, r#"{"message":"unknown key k"}"#)) {
            Verdict::All(Err(e)) => {
                assert_eq!(e.kind, ErrorKind::Rejected);
                assert_eq!(e.message, "unknown key k");
                assert_eq!(e.http_status, Some(400));
            }
            other => panic!("{other:?}"),
        }
        match interpret(&unit, &resp(403, "<html>forbidden</html>")) {
            Verdict::All(Err(e)) => assert_eq!(e.kind, ErrorKind::Auth),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            interpret(&unit, &resp(200, "")),
            Verdict::All(Ok(None))
        ));
    }

    #[test]
    fn only_the_documented_answers_succeed() {
        let keys = Success::EmptyOrJson;
        for (status, body) in [
            (200, ""),
            (204, ""),
            (200, r#"{"message":"2 disabled."}"#),
            (299, ""),
        ] {
            assert!(judge(keys, &resp(status, body)).is_ok(), "{status} {body}");
        }
        for (status, body) in [
            (200, "<html><body>proxy</body></html>"),
            (200, r#"{"message":"#),
            (201, "done"),
        ] {
            let e = judge(keys, &resp(status, body)).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidResponse, "{status} {body}");
            assert_eq!(e.http_status, Some(status));
        }
        let history = Success::NoContent;
        assert!(judge(history, &resp(204, "")).is_ok());
        let e = judge(history, &resp(200, "{}")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidResponse);
    }

    #[test]
    fn every_bcdiploma_operation_is_safe_to_send_twice() {
        assert!(SPECS.iter().all(|spec| spec.idempotent));
    }
}
