//! Building a run's requests on a second thread, a little ahead of their turn.
//!
//! Reading an ID file, checking its lines and building request bodies is about a
//! fifth of a bulk run's CPU. Done on the thread that sends, it holds up answers
//! that have arrived; done here, it overlaps them. Units cross over in chunks
//! through a channel of two chunks, so the threads wake each other once per chunk,
//! not per request, and only a few chunks are ever held: the list itself never is.
//!
//! Only lists whose reads cannot stall are prefetched (files and arguments):
//! standard input may be a slow pipe, and a unit waiting in a half-filled chunk
//! for the next line would be held back from sending.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use crate::engine::operation::Step;
use crate::error::{Error, ErrorKind, Result};

/// The units of one operation, as the engine takes them.
type Units = Box<dyn Iterator<Item = Result<Step>> + Send>;

/// Units per hand-over: enough to make the wake-up cheap, few enough that a chunk
/// of 100-ID batches stays around 100 KB.
const CHUNK: usize = 8;

/// Units taken from an iterator running on its own thread, in the same order.
pub struct Prefetch {
    state: State,
}

enum State {
    /// Not started: the thread starts at the first unit asked for, so nothing is
    /// read before a confirmation prompt is answered.
    Idle(Units),
    Running {
        from: Receiver<Vec<Result<Step>>>,
        chunk: std::vec::IntoIter<Result<Step>>,
    },
    Done,
}

impl Prefetch {
    /// Wraps `units`; nothing runs until the first call to `next`.
    pub fn new(units: Units) -> Self {
        Prefetch {
            state: State::Idle(units),
        }
    }

    /// Starts the thread, or says why it could not be started.
    fn start(units: Units) -> std::result::Result<State, Error> {
        let (to, from) = sync_channel(2);
        std::thread::Builder::new()
            .name("certctl-units".into())
            .spawn(move || produce(units, &to))
            .map_err(|e| {
                Error::new(
                    ErrorKind::Refused,
                    format!("cannot start a thread to read the IDs: {e}"),
                )
            })?;
        Ok(State::Running {
            from,
            chunk: Vec::new().into_iter(),
        })
    }
}

/// Sends the units in chunks, then an empty chunk to say that was all; stops early
/// when the engine no longer listens.
fn produce(units: Units, to: &SyncSender<Vec<Result<Step>>>) {
    let mut chunk = Vec::with_capacity(CHUNK);
    for unit in units {
        let stop = unit.is_err();
        chunk.push(unit);
        if (chunk.len() == CHUNK || stop) && to.send(std::mem::take(&mut chunk)).is_err() {
            return;
        }
        if stop {
            break;
        }
    }
    if !chunk.is_empty() && to.send(chunk).is_err() {
        return;
    }
    let _ = to.send(Vec::new());
}

impl Iterator for Prefetch {
    type Item = Result<Step>;

    fn next(&mut self) -> Option<Result<Step>> {
        loop {
            match &mut self.state {
                State::Idle(_) => {
                    let State::Idle(units) = std::mem::replace(&mut self.state, State::Done) else {
                        return None;
                    };
                    match Prefetch::start(units) {
                        Ok(state) => self.state = state,
                        Err(e) => return Some(Err(e)),
                    }
                }
                State::Running { from, chunk } => {
                    if let Some(unit) = chunk.next() {
                        return Some(unit);
                    }
                    match from.recv() {
                        Ok(next) if next.is_empty() => {
                            self.state = State::Done;
                            return None;
                        }
                        Ok(next) => *chunk = next.into_iter(),
                        Err(_) => {
                            self.state = State::Done;
                            return Some(Err(Error::new(
                                ErrorKind::Refused,
                                "the thread reading the IDs stopped unexpectedly (a bug: please report it); the IDs after the last reported one were not sent",
                            )));
                        }
                    }
                }
                State::Done => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::operation::Unit;
    use crate::engine::request::{Method, Request};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn unit(n: usize) -> Result<Step> {
        Ok(Step::Send(Unit {
            ids: vec![n.to_string()],
            request: Request::new(Method::Put, format!("http://127.0.0.1/{n}")),
        }))
    }

    fn ids(units: impl Iterator<Item = Result<Step>>) -> Vec<String> {
        units.map(|u| u.unwrap().unit().ids.concat()).collect()
    }

    #[test]
    fn every_unit_arrives_once_in_order() {
        for n in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 10 * CHUNK + 3] {
            let got = ids(Prefetch::new(Box::new((0..n).map(unit))));
            let want: Vec<String> = (0..n).map(|i| i.to_string()).collect();
            assert_eq!(got, want, "{n} units");
        }
    }

    #[test]
    fn nothing_is_read_before_the_first_unit_is_asked_for() {
        let pulled = Arc::new(AtomicUsize::new(0));
        let counter = pulled.clone();
        let mut units = Prefetch::new(Box::new((0..100).map(move |n| {
            counter.fetch_add(1, Ordering::SeqCst);
            unit(n)
        })));
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(pulled.load(Ordering::SeqCst), 0);
        assert_eq!(units.next().unwrap().unwrap().unit().ids, ["0"]);
        // Ahead by at most the chunk being built, two in the channel and one held.
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(pulled.load(Ordering::SeqCst) <= 4 * CHUNK + 1);
    }

    #[test]
    fn an_error_ends_the_stream_after_the_units_before_it() {
        let source = (0..20).map(|n| {
            if n == 11 {
                Err(Error::usage("bad line"))
            } else {
                unit(n)
            }
        });
        let got: Vec<Result<Step>> = Prefetch::new(Box::new(source)).collect();
        assert_eq!(got.len(), 12);
        assert!(got[..11].iter().all(Result::is_ok));
        let err = got[11].as_ref().err().unwrap();
        assert_eq!(err.kind(), ErrorKind::Usage);
    }

    #[test]
    fn a_reader_that_dies_is_an_error_not_a_short_list() {
        let source = (0..20).map(|n| {
            assert!(n < 3, "reader bug");
            unit(n)
        });
        let got: Vec<Result<Step>> = Prefetch::new(Box::new(source)).collect();
        let last = got.last().unwrap().as_ref().err().unwrap();
        assert_eq!(last.kind(), ErrorKind::Refused);
        assert!(last.to_string().contains("stopped unexpectedly"), "{last}");
    }
}
