//! Cache housekeeping: what to evict, decided by a pure function over what is cached and which cases
//! need it, then carried out by `Cache::housekeep`.
//!
//! Rules, in order:
//! 1. Nothing a case listed today or later needs is ever evicted (nor anything the caller names, such
//!    as the open hearing's exhibits).
//! 2. A blob's "last needed" day is the latest listing of any case that uses it; a blob no case record
//!    names counts from the day it was cached.
//! 3. Blobs last needed more than `retention_days` ago go.
//! 4. If the cache is still over `max_bytes`, the blobs last needed longest ago go next, until it fits.
//!    Protected blobs never go, so the report says when the limit cannot be met.

use std::collections::{HashMap, HashSet};

use courtdeck_core::Sha256Digest;
use jiff::ToSpan;
use jiff::civil::Date;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    pub retention_days: u32,
    pub max_bytes: Option<u64>,
}

/// A verified blob in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedBlob {
    pub digest: Sha256Digest,
    pub bytes: u64,
    /// The day it entered the cache.
    pub cached_on: Date,
}

/// What the cache knows of a case: the last day it was listed and the blobs its manifest names.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CaseRecord {
    pub case_id: String,
    pub last_listed: Date,
    pub blobs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Last needed on this day, longer ago than the retention.
    Expired { last_needed: Date },
    /// Over the size limit; last needed on this day, the oldest left.
    OverSize { last_needed: Date },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub evict: Vec<(Sha256Digest, u64, Reason)>,
    pub kept_bytes: u64,
    pub kept_blobs: usize,
    /// Still over `max_bytes` after evicting everything allowed.
    pub over_limit_by: u64,
    /// Case records old enough to forget.
    pub forget_cases: Vec<String>,
}

pub fn plan(
    blobs: &[CachedBlob],
    cases: &[CaseRecord],
    today: Date,
    policy: Policy,
    protect: &HashSet<Sha256Digest>,
) -> Plan {
    let cutoff = today
        .checked_sub((policy.retention_days as i64).days())
        .unwrap_or(Date::MIN);
    let mut last_needed: HashMap<String, Date> = HashMap::new();
    let mut protected: HashSet<String> = protect.iter().map(|d| d.to_hex()).collect();
    for case in cases {
        for b in &case.blobs {
            let e = last_needed.entry(b.clone()).or_insert(case.last_listed);
            *e = (*e).max(case.last_listed);
            if case.last_listed >= today {
                protected.insert(b.clone());
            }
        }
    }
    let mut out = Plan {
        forget_cases: cases
            .iter()
            .filter(|c| c.last_listed < cutoff)
            .map(|c| c.case_id.clone())
            .collect(),
        ..Plan::default()
    };
    let mut candidates = Vec::new();
    for b in blobs {
        let hex = b.digest.to_hex();
        let needed = last_needed.get(&hex).copied().unwrap_or(b.cached_on);
        if protected.contains(&hex) {
            out.kept_bytes += b.bytes;
            out.kept_blobs += 1;
        } else if needed < cutoff {
            out.evict.push((
                b.digest,
                b.bytes,
                Reason::Expired {
                    last_needed: needed,
                },
            ));
        } else {
            candidates.push((needed, b));
        }
    }
    let mut total = out.kept_bytes + candidates.iter().map(|(_, b)| b.bytes).sum::<u64>();
    // Oldest first; ties broken by digest so the plan is deterministic.
    candidates.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.digest.cmp(&b.1.digest)));
    for (needed, b) in candidates {
        if policy.max_bytes.is_some_and(|max| total > max) {
            total -= b.bytes;
            out.evict.push((
                b.digest,
                b.bytes,
                Reason::OverSize {
                    last_needed: needed,
                },
            ));
        } else {
            out.kept_bytes += b.bytes;
            out.kept_blobs += 1;
        }
    }
    out.over_limit_by = policy.max_bytes.map_or(0, |max| total.saturating_sub(max));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn d(n: u8) -> Sha256Digest {
        Sha256Digest::from_bytes([n; 32])
    }
    fn blob(n: u8, bytes: u64, cached_on: Date) -> CachedBlob {
        CachedBlob {
            digest: d(n),
            bytes,
            cached_on,
        }
    }
    fn case(id: &str, last: Date, blobs: &[u8]) -> CaseRecord {
        CaseRecord {
            case_id: id.into(),
            last_listed: last,
            blobs: blobs.iter().map(|&n| d(n).to_hex()).collect(),
        }
    }
    fn evicted(p: &Plan) -> Vec<Sha256Digest> {
        let mut v: Vec<_> = p.evict.iter().map(|e| e.0).collect();
        v.sort();
        v
    }
    const TODAY: Date = date(2026, 11, 26);
    const POLICY: Policy = Policy {
        retention_days: 30,
        max_bytes: None,
    };

    #[test]
    fn expired_cases_go_and_recent_ones_stay() {
        let blobs = [
            blob(1, 10, date(2026, 9, 1)),
            blob(2, 10, date(2026, 9, 1)),
            blob(3, 10, date(2026, 9, 1)),
        ];
        let cases = [
            case("OLD", date(2026, 10, 1), &[1]),
            case("RECENT", date(2026, 11, 20), &[2]),
            // Blob 3 is shared by an old and a recent case: it is needed until the recent one expires.
            case("OLD2", date(2026, 9, 1), &[3]),
            case("RECENT2", date(2026, 11, 1), &[3]),
        ];
        let p = plan(&blobs, &cases, TODAY, POLICY, &HashSet::new());
        assert_eq!(evicted(&p), vec![d(1)]);
        assert_eq!(p.kept_blobs, 2);
        assert_eq!(p.forget_cases, vec!["OLD".to_string(), "OLD2".to_string()]);
    }

    #[test]
    fn orphans_count_from_the_day_they_were_cached() {
        let blobs = [blob(1, 10, date(2026, 10, 1)), blob(2, 10, TODAY)];
        let p = plan(&blobs, &[], TODAY, POLICY, &HashSet::new());
        assert_eq!(evicted(&p), vec![d(1)]);
    }

    #[test]
    fn today_and_future_listings_and_protected_blobs_are_never_evicted() {
        let long_ago = date(2025, 1, 1);
        let blobs = [
            blob(1, 100, long_ago),
            blob(2, 100, long_ago),
            blob(3, 100, long_ago),
            blob(4, 100, long_ago),
        ];
        let cases = [
            case("TODAY", TODAY, &[1]),
            case("NEXT-WEEK", date(2026, 12, 3), &[2]),
            case("ANCIENT", long_ago, &[3, 4]),
        ];
        let tight = Policy {
            retention_days: 0,
            max_bytes: Some(50),
        };
        let p = plan(&blobs, &cases, TODAY, tight, &HashSet::from([d(3)]));
        assert_eq!(evicted(&p), vec![d(4)]);
        assert_eq!(p.kept_bytes, 300);
        assert_eq!(
            p.over_limit_by, 250,
            "the limit cannot be met without evicting today's needs"
        );
    }

    #[test]
    fn over_size_evicts_the_longest_unneeded_first() {
        let blobs = [blob(1, 40, TODAY), blob(2, 40, TODAY), blob(3, 40, TODAY)];
        let cases = [
            case("A", date(2026, 11, 10), &[1]),
            case("B", date(2026, 11, 20), &[2]),
            case("C", date(2026, 11, 25), &[3]),
        ];
        let p = plan(
            &blobs,
            &cases,
            TODAY,
            Policy {
                retention_days: 30,
                max_bytes: Some(90),
            },
            &HashSet::new(),
        );
        assert_eq!(evicted(&p), vec![d(1)]);
        assert!(
            matches!(p.evict[0].2, Reason::OverSize { last_needed } if last_needed == date(2026, 11, 10))
        );
        assert_eq!(p.kept_bytes, 80);
        assert_eq!(p.over_limit_by, 0);
    }
}
