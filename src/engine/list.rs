//! The engine's paged read: a list fetched page after page (`digicert orders list`,
//! `requests list`) and printed as the pages arrive, in order.
//!
//! The first page says how many objects there are (`page.total`); the pages after
//! it are then fetched `--concurrency` at a time through the provider's pacer, and
//! printed in order as each one and those before it are in. The list ends when the
//! objects seen reach the total, or `--limit`, and also on a page shorter than asked
//! (some accounts' totals are off); a first page without a total is the only one.
//! At most `--concurrency` pages are held at once, never the list.

use std::ops::Range;

use bytes::Bytes;
use futures_util::stream::{FuturesOrdered, StreamExt};

use super::rate::{Pace, Pacer};
use super::request::{Request, Response};
use super::setup::Engine;
use crate::error::{Error, ItemError, Result, io_error};
use crate::output::{Columns, List};
use crate::registry::ProviderId;

/// One page of a list, as the adapter reads it.
#[derive(Debug, Default)]
pub struct Page {
    /// Each object, as a range of the answer's body holding one whole JSON value.
    pub items: Vec<Range<usize>>,
    /// How many objects the whole list holds, when the answer says.
    pub total: Option<u64>,
}

/// Reads a 2xx answer into a page, or the provider's error from any other.
pub type Split = fn(&Response) -> std::result::Result<Page, ItemError>;

/// A list as an adapter describes it.
pub struct Listing {
    /// The provider asked.
    pub provider: ProviderId,
    /// The read's name in dry runs and errors (`orders.list`).
    pub name: &'static str,
    /// How many objects each request asks for.
    pub page_size: u64,
    /// The request of the page that starts at an offset.
    pub request: Box<dyn Fn(u64) -> Request + Send + Sync>,
    /// Reads an answer.
    pub split: Split,
    /// `--limit N`: print at most N objects.
    pub limit: Option<u64>,
}

/// A fetched page: its offset, the body its objects point into, and the objects.
struct Fetched {
    offset: u64,
    body: Bytes,
    page: Page,
}

impl Engine {
    /// Fetches and prints the list `listing` describes, with `columns` for `text`
    /// and `ids`; in a dry run, prints the first page's request instead. Returns how
    /// many objects were printed. A failure leaves what was printed, closed as one
    /// document in `json`.
    pub async fn list(&self, listing: Listing, pace: Pace, columns: Columns) -> Result<u64> {
        let first = (listing.request)(0);
        if self.print_reads(listing.provider, listing.name, std::iter::once(&first))? {
            return Ok(0);
        }
        let pacer = Pacer::new(pace);
        let mut printer = List::start(self.format, columns).map_err(io_error)?;
        match self.pages(&listing, &pacer, first, &mut printer).await {
            Ok(()) => {
                let written = printer.written();
                printer.finish().map_err(io_error)?;
                Ok(written)
            }
            Err(e) => {
                let _ = printer.abort();
                Err(e)
            }
        }
    }

    async fn pages(
        &self,
        listing: &Listing,
        pacer: &Pacer,
        first: Request,
        printer: &mut List,
    ) -> Result<()> {
        let wanted = listing.limit.unwrap_or(u64::MAX);
        let fetched = self.fetch(listing, pacer, 0, first).await?;
        let Some(total) = fetched.page.total else {
            print(&fetched, printer, wanted)?;
            return Ok(());
        };
        if !print(&fetched, printer, wanted)? || !full(&fetched, listing) {
            return Ok(());
        }
        let end = total.min(wanted);
        let mut offsets = (1..)
            .map(|n| n * listing.page_size)
            .take_while(move |offset| *offset < end);
        let mut in_flight = FuturesOrdered::new();
        loop {
            while in_flight.len() < self.concurrency.max(1) {
                let Some(offset) = offsets.next() else { break };
                let request = (listing.request)(offset);
                in_flight.push_back(self.fetch(listing, pacer, offset, request));
            }
            let Some(fetched) = in_flight.next().await else {
                return Ok(());
            };
            let fetched = fetched?;
            if !print(&fetched, printer, wanted - printer.written().min(wanted))?
                || !full(&fetched, listing)
            {
                return Ok(());
            }
        }
    }

    async fn fetch(
        &self,
        listing: &Listing,
        pacer: &Pacer,
        offset: u64,
        request: Request,
    ) -> Result<Fetched> {
        let response = self
            .read_paced(listing.provider, listing.name, &request, pacer)
            .await?;
        let page = (listing.split)(&response).map_err(|e| {
            Error::new(
                e.kind,
                format!(
                    "{} {} failed at offset {offset}: {}",
                    listing.provider.name(),
                    listing.name,
                    crate::report::describe(&e)
                ),
            )
        })?;
        Ok(Fetched {
            offset,
            body: response.body,
            page,
        })
    }
}

/// Whether a page is as long as asked and the list goes on past it.
fn full(fetched: &Fetched, listing: &Listing) -> bool {
    let seen = fetched.offset + fetched.page.items.len() as u64;
    fetched.page.items.len() as u64 >= listing.page_size
        && fetched.page.total.is_some_and(|total| seen < total)
}

/// Prints at most `room` objects of a page; whether there was room for them all.
fn print(fetched: &Fetched, printer: &mut List, room: u64) -> Result<bool> {
    let take = fetched
        .page
        .items
        .len()
        .min(usize::try_from(room).unwrap_or(usize::MAX));
    let mut items = Vec::with_capacity(take);
    for range in &fetched.page.items[..take] {
        // The adapter read these ranges as JSON values: they are whole UTF-8 text.
        let text = fetched
            .body
            .get(range.clone())
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .ok_or_else(|| {
                Error::new(
                    crate::error::ErrorKind::InvalidResponse,
                    "a listed object is not UTF-8 text",
                )
            })?;
        items.push(text);
    }
    printer.page(&items).map_err(io_error)?;
    Ok(take == fetched.page.items.len() && (room > take as u64))
}
