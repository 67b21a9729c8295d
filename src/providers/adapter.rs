//! What an adapter is to the rest of certctl ([`Adapter`], with the [`Probe`] and
//! the operation specs it gives and the [`Endpoint`] it is given), and the pieces
//! every adapter builds its operations from.

use crate::engine::request::Request;
use std::collections::VecDeque;

use crate::engine::{Account, Operation, Spec, Step, Unit};
use crate::error::Result;
use crate::input::{Ids, Listed};
use crate::secret::Secret;

/// The read-only request `certctl check` sends to a provider, and whether its answer
/// says anything about the credential (BCdiploma and Origin document no read-only
/// request: their probe only shows the host is there and does not refuse the token).
pub struct Probe {
    /// The request.
    pub request: Request,
    /// Whether a 2xx answer proves the credential was accepted.
    pub verifies_credential: bool,
}

/// What every adapter offers the commands that are not a provider's own (`check`,
/// `apply`, `--plan-out`), so that those commands never name a provider.
pub trait Adapter: Sync {
    /// The check probe of the account at `at`.
    fn probe(&self, at: &Endpoint<'_>) -> Probe;

    /// The adapter's state-changing operations, each with its rules: what a plan
    /// may name (reads are never planned).
    fn specs(&self) -> &'static [&'static Spec];
}

/// Where an account lives and how to reach it, as the commands that are not a
/// provider's own hold it: each adapter makes its own target of it.
pub struct Endpoint<'a> {
    /// The base URL, without a trailing `/`.
    pub base: &'a str,
    /// The credential.
    pub secret: &'a Secret,
    /// The value of one of the provider's other settings (Sertifika's `company_id`),
    /// empty when unset.
    pub extra: &'a dyn Fn(&'static str) -> String,
}

/// Groups a stream of IDs into units of at most `size`, each with the request
/// `build` makes for it; lazily, so only the batches in flight are in memory. The
/// IDs `--resume` passed over while a batch was filled come just before it.
pub fn batched(
    ids: Ids,
    size: usize,
    build: impl Fn(&[String]) -> Request + Send + 'static,
) -> impl Iterator<Item = Result<Step>> + Send {
    let mut iter = ids.iter;
    let size = size.max(1);
    let mut ready: VecDeque<Result<Step>> = VecDeque::new();
    std::iter::from_fn(move || {
        if ready.is_empty() {
            let mut batch = Vec::with_capacity(size.min(1024));
            while batch.len() < size {
                match iter.next() {
                    Some(Ok(Listed::Send(id))) => batch.push(id),
                    Some(Ok(Listed::Passed(passed))) => ready.push_back(Ok(Step::Passed(passed))),
                    Some(Err(e)) => {
                        ready.push_back(Err(e));
                        return ready.pop_front();
                    }
                    None => break,
                }
            }
            if !batch.is_empty() {
                let request = build(&batch);
                ready.push_back(Ok(Step::Send(Unit {
                    ids: batch,
                    request,
                })));
            }
        }
        ready.pop_front()
    })
}

/// The number of requests `count` items make in batches of `size`.
pub fn request_count(count: Option<usize>, size: usize) -> Option<usize> {
    count.map(|n| n.div_ceil(size.max(1)))
}

/// The first string among `keys` of a JSON object (nested objects are searched too).
pub fn find_message(value: &serde_json::Value, keys: &[&str]) -> Option<String> {
    let obj = value.as_object()?;
    for key in keys {
        match obj.get(*key) {
            Some(serde_json::Value::String(s)) if !s.is_empty() => return Some(s.clone()),
            Some(v @ serde_json::Value::Object(_)) => {
                if let Some(s) = find_message(v, keys) {
                    return Some(s);
                }
            }
            _ => {}
        }
    }
    None
}

/// An operation of one request on one item (a campaign, a template): its count,
/// request count and preview follow from that.
pub fn single(spec: &'static Spec, account: Account, id: String, request: Request) -> Operation {
    let unit = Unit {
        ids: vec![id.clone()],
        request,
    };
    Operation::new(spec, account, std::iter::once(Ok(Step::Send(unit)))).sized(
        Some(1),
        Some(1),
        vec![id],
    )
}

/// The objects of a list answer `{"KEY":[...],"page":{"total":N,...}}`, as ranges of
/// `body`, with the total when `page` gives one; `None` when `body` is not such an
/// object. The objects are not parsed, only skimmed once: they are passed on as the
/// provider wrote them.
pub fn page_of(body: &[u8], key: &str) -> Option<crate::engine::list::Page> {
    use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
    use serde_json::value::RawValue;

    #[derive(serde::Deserialize)]
    struct PageInfo {
        total: Option<u64>,
    }

    /// Reads the answer's object in one pass: the objects under `key` borrowed as
    /// raw text, `page.total`, and nothing else.
    struct Answer<'k>(&'k str);

    impl<'de> Visitor<'de> for Answer<'_> {
        type Value = (Option<Vec<&'de RawValue>>, Option<u64>);

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(f, "an object with `{}`", self.0)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let (mut objects, mut total) = (None, None);
            while let Some(name) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if name == self.0 {
                    objects = Some(map.next_value::<Vec<&'de RawValue>>()?);
                } else if name == "page" {
                    let page = map.next_value::<&'de RawValue>()?;
                    total = serde_json::from_str::<PageInfo>(page.get())
                        .ok()
                        .and_then(|p| p.total);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok((objects, total))
        }
    }

    impl<'de> DeserializeSeed<'de> for Answer<'_> {
        type Value = (Option<Vec<&'de RawValue>>, Option<u64>);

        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }

    let mut reader = serde_json::Deserializer::from_slice(body);
    let (objects, total) = Answer(key).deserialize(&mut reader).ok()?;
    reader.end().ok()?;
    // Each borrowed object is a slice of `body`: its place there is its range.
    let start = body.as_ptr() as usize;
    let items = objects?
        .iter()
        .map(|raw| {
            let at = (raw.get().as_ptr() as usize).checked_sub(start)?;
            let end = at.checked_add(raw.get().len())?;
            (end <= body.len()).then_some(at..end)
        })
        .collect::<Option<Vec<_>>>()?;
    Some(crate::engine::list::Page { items, total })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::request::Method;
    use crate::input::Passed;

    #[test]
    fn batches_carry_what_resume_passed_over_just_before_them() {
        let listed = [
            Listed::Passed(Passed::Skipped("a".into())),
            Listed::Send("b".into()),
            Listed::Passed(Passed::Held("c".into())),
            Listed::Send("d".into()),
            Listed::Send("e".into()),
            Listed::Passed(Passed::Skipped("f".into())),
        ];
        let ids = Ids {
            iter: Box::new(listed.into_iter().map(Ok)),
            count: None,
            preview: Vec::new(),
        };
        let steps: Vec<String> = batched(ids, 2, |b| Request::new(Method::Put, b.join(",")))
            .map(|step| match step.unwrap() {
                Step::Send(unit) => unit.request.url,
                Step::Passed(Passed::Skipped(id)) => format!("skipped {id}"),
                Step::Passed(Passed::Held(id)) => format!("held {id}"),
            })
            .collect();
        assert_eq!(steps, ["skipped a", "held c", "b,d", "skipped f", "e"]);
    }
}
