//! The duplicate table: a 16-byte fingerprint of every distinct ID, in one ordered
//! open-addressing table that stays dense as it grows.

use std::hash::BuildHasher;
use std::sync::OnceLock;

/// The table grows by this fraction (1/16) of its home slots when it is
/// [`MAX_LOAD_PERCENT`] full: a small step keeps it dense.
pub(super) const GROWTH_DIVISOR: usize = 16;
pub(super) const FIRST_HOMES: usize = 1024;
pub(super) const MAX_LOAD_PERCENT: usize = 95;
/// The load a table sized ahead ([`Dedup::reserve`]) is made for: lower than the
/// growth point, so that inserts into it seldom shift long runs.
pub(super) const RESERVE_LOAD_PERCENT: usize = 80;

/// Remembers a 128-bit fingerprint of every ID seen: 16 bytes per distinct ID, in
/// a table whose home slots are 89 to 95% full once it holds more than a thousand.
pub(super) struct Dedup {
    pub(super) table: Table,
    /// Whether the fingerprint 0 was seen: 0 marks a free slot.
    pub(super) zero: bool,
    pub(super) hash: Fingerprints,
}

/// Two foldhash hashers with independent seeds (per process): several times faster
/// than SipHash on long keys, and 128 bits leave about one chance in 10^27 of taking
/// two of a million distinct IDs for one. A copy fingerprints a file's IDs on the
/// thread that reads them.
#[derive(Clone)]
pub(super) struct Fingerprints {
    first: foldhash::quality::RandomState,
    second: foldhash::quality::SeedableRandomState,
}

impl Fingerprints {
    pub(super) fn of(&self, id: &str) -> u128 {
        u128::from(self.first.hash_one(id)) << 64 | u128::from(self.second.hash_one(id))
    }
}

/// The shared seed of the second hasher, drawn once per process: the first hasher
/// uses foldhash's global one, so the two hashes differ in every seed they use.
pub(super) static SECOND_SEED: OnceLock<foldhash::SharedSeed> = OnceLock::new();

impl Dedup {
    pub(super) fn new() -> Self {
        let shared = SECOND_SEED.get_or_init(|| {
            foldhash::SharedSeed::from_u64(foldhash::quality::RandomState::default().hash_one(1))
        });
        let per_hasher = foldhash::quality::RandomState::default().hash_one(2);
        Dedup {
            table: Table::default(),
            zero: false,
            hash: Fingerprints {
                first: foldhash::quality::RandomState::default(),
                second: foldhash::quality::SeedableRandomState::with_seed(per_hasher, shared),
            },
        }
    }

    /// True the first time an ID is seen; later times warn and say false.
    pub(super) fn first(&mut self, id: &str) -> bool {
        let fingerprint = self.hash.of(id);
        self.first_of(id, fingerprint)
    }

    /// [`Dedup::first`] for an ID whose fingerprint is known already.
    pub(super) fn first_of(&mut self, id: &str, fingerprint: u128) -> bool {
        let fresh = self.insert(fingerprint);
        if !fresh {
            tracing::warn!("duplicate ID dropped: {id}");
        }
        fresh
    }

    /// Adds a fingerprint; false if it was there already.
    pub(super) fn insert(&mut self, fingerprint: u128) -> bool {
        if fingerprint == 0 {
            return !std::mem::replace(&mut self.zero, true);
        }
        self.table.insert(fingerprint)
    }

    /// Sizes the table for about `ids` distinct IDs at once, when a file's size says
    /// how many to expect: growing step by step would rebuild it a dozen times, and
    /// nearly full it shifts longer runs on every insert.
    pub(super) fn reserve(&mut self, ids: usize) {
        let homes = ids.saturating_mul(100) / RESERVE_LOAD_PERCENT;
        if homes > self.table.homes {
            self.table.grow_to(homes);
        }
    }
}

/// A linear-probing table kept in ascending order (Robin Hood order, for uniform
/// hashes). Each fingerprint sits at or after its home slot, with no free slot in
/// between, so a lookup stops at the first free slot or larger fingerprint, and
/// growing is two passes that move every fingerprint right, in place: the table is
/// one allocation that `realloc` extends (with glibc, once past 128 KiB, by remapping
/// its pages rather than copying them), so growing never holds the set twice.
#[derive(Default)]
pub(super) struct Table {
    /// Fingerprints in ascending order, 0 for a free slot; `homes` slots that a
    /// fingerprint can call home, then a tail for the ones pushed past the last.
    pub(super) slots: Vec<u128>,
    pub(super) homes: usize,
    pub(super) len: usize,
}

impl Table {
    /// The home slot of a fingerprint: its top bits scaled to `homes`, so homes
    /// ascend with fingerprints.
    pub(super) fn home(fingerprint: u128, homes: usize) -> usize {
        (((fingerprint >> 64) * homes as u128) >> 64) as usize
    }

    /// How many slots a table with `homes` home slots has.
    pub(super) fn slots_for(homes: usize) -> usize {
        homes + homes / 1024 + 64
    }

    pub(super) fn insert(&mut self, fingerprint: u128) -> bool {
        if self.len * 100 >= self.homes * MAX_LOAD_PERCENT {
            self.grow();
        }
        loop {
            let mut i = Self::home(fingerprint, self.homes);
            while let Some(&s) = self.slots.get(i) {
                if s == 0 || s >= fingerprint {
                    break;
                }
                i += 1;
            }
            if self.slots.get(i) == Some(&fingerprint) {
                return false;
            }
            // Shift the rest of the run right by one, into its first free slot.
            let free = self
                .slots
                .get(i..)
                .and_then(|rest| rest.iter().position(|&s| s == 0));
            match free {
                Some(n) => {
                    self.slots.copy_within(i..i + n, i + 1);
                    self.slots[i] = fingerprint;
                    self.len += 1;
                    return true;
                }
                None => self.grow(),
            }
        }
    }

    /// Makes room for about 1/16 more.
    pub(super) fn grow(&mut self) {
        self.grow_to((self.homes + self.homes / GROWTH_DIVISOR + 1).max(FIRST_HOMES));
    }

    /// Lays the table out for at least `homes` home slots, more if they do not fit.
    pub(super) fn grow_to(&mut self, mut homes: usize) {
        while !self.rebuild(homes) {
            homes += homes / GROWTH_DIVISOR + 1;
        }
    }

    /// Lays the fingerprints out for `homes` home slots, in place: packed in order at
    /// the end of the longer table, then each moved left to its place. False (the
    /// fingerprints still in order, for a larger try) if they do not fit.
    pub(super) fn rebuild(&mut self, homes: usize) -> bool {
        let total = Self::slots_for(homes);
        let old = self.slots.len();
        self.slots.reserve_exact(total - old);
        self.slots.resize(total, 0);
        self.homes = homes;
        let mut packed = total;
        for i in (0..old).rev() {
            let s = std::mem::take(&mut self.slots[i]);
            if s != 0 {
                packed -= 1;
                self.slots[packed] = s;
            }
        }
        // The i-th fingerprint is read from `packed + i` and written at or before it
        // whenever all of them fit, since each takes a slot after the last one.
        let mut next = 0;
        for i in packed..total {
            let s = self.slots[i];
            let at = Self::home(s, homes).max(next);
            if at > i {
                return false;
            }
            self.slots[i] = 0;
            self.slots[at] = s;
            next = at + 1;
        }
        true
    }
}
