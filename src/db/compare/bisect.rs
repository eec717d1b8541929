//! Locating the differing rows once the checksums differ: key ranges are split into
//! segments at sampled key quantiles (so gaps and skew in the keys still give segments
//! of similar row counts), each segment is tallied on both sides in one aggregate pass,
//! and only differing segments are split again (index range scans), until a segment is
//! small enough to read its rows from both sides and diff them by key.

use super::progress::Progress;
use super::reader::{Plan, Range, Reader, Tally};
use super::rows;
use crate::db::DbError;
use crate::event::RowDiff;
use std::collections::VecDeque;
use std::sync::Arc;

/// Rows per segment aimed at by the first pass, and its most segments.
pub(crate) const ROWS_PER_SEGMENT: u64 = 4096;
pub(crate) const MAX_SEGMENTS: usize = 256;
/// Keys sampled per segment: enough that quantiles land near their targets.
const SAMPLES_PER_SEGMENT: u64 = 16;
/// A segment this small (on both sides) is diffed row by row.
const LEAF_ROWS: u64 = 4096;
/// Splits of a differing segment.
const SUB_SEGMENTS: u64 = 32;
/// Past this depth a segment is diffed whatever its size (keys that do not split).
const MAX_DEPTH: u32 = 6;

/// How many segments the first pass cuts `rows` rows into.
pub(crate) fn segments_for(rows: u64) -> usize {
    (rows / ROWS_PER_SEGMENT).clamp(1, MAX_SEGMENTS as u64) as usize
}

/// Cut points splitting `range` (about `rows` rows on `reader`'s side) into about
/// `segments` segments: every (n/segments)-th key of a random sample, in key order.
pub(crate) async fn cuts(
    reader: &mut Reader<'_>,
    plan: &Plan,
    range: &Range,
    rows: u64,
    segments: usize,
) -> Result<Vec<Vec<String>>, DbError> {
    if segments <= 1 || plan.key.is_empty() {
        return Ok(Vec::new());
    }
    let wanted = segments as u64 * SAMPLES_PER_SEGMENT;
    let fraction = wanted as f64 / rows.max(1) as f64;
    // Page sampling (PostgreSQL) returns runs of neighbouring keys: ask for more.
    let fraction = if reader.dialect() == crate::sql::Dialect::Postgres {
        fraction * 4.0
    } else {
        fraction
    };
    let sample = (fraction < 1.0).then_some(fraction);
    let keys = reader.rows(plan, range, &plan.key, sample).await?;
    let mut out: Vec<Vec<String>> = Vec::with_capacity(segments);
    for i in 1..segments {
        let Some(k) = keys.get(keys.len() * i / segments) else {
            continue;
        };
        // A NULL in a key cannot be a bound (SQLite lets a non-integer key be NULL).
        let Some(k) = k.iter().cloned().collect::<Option<Vec<String>>>() else {
            continue;
        };
        if out.last() != Some(&k) && range.lo.as_ref() != Some(&k) {
            out.push(k);
        }
    }
    Ok(out)
}

/// The sub-ranges of `range` that `cuts` make, bucket by bucket.
pub(crate) fn split(range: &Range, cuts: &[Vec<String>]) -> Vec<Range> {
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut lo = range.lo.clone();
    for c in cuts {
        out.push(Range {
            lo: lo.clone(),
            hi: Some(c.clone()),
        });
        lo = Some(c.clone());
    }
    out.push(Range {
        lo,
        hi: range.hi.clone(),
    });
    out
}

/// A segment whose tallies differ.
pub(crate) struct Segment {
    pub range: Range,
    pub source: Tally,
    pub target: Tally,
    pub depth: u32,
}

/// What bisection found: the differing rows (up to `max`) and whether there were more.
pub(crate) struct Found {
    pub rows: Vec<RowDiff>,
    pub truncated: bool,
}

/// Descends into `differing` segments until rows, at most `max` of them.
pub(crate) async fn locate(
    src: &mut Reader<'_>,
    tgt: &mut Reader<'_>,
    plan: &Plan,
    differing: Vec<Segment>,
    max: usize,
    progress: &Arc<Progress>,
) -> Result<Found, DbError> {
    let all: Vec<usize> = (0..plan.cols.len()).collect();
    let mut queue: VecDeque<Segment> = differing.into();
    let mut found = Vec::new();
    while let Some(seg) = queue.pop_front() {
        if found.len() > max {
            break;
        }
        let n = seg.source.rows.max(seg.target.rows);
        let mut cuts = Vec::new();
        if n > LEAF_ROWS && seg.depth < MAX_DEPTH {
            let parts = (n / LEAF_ROWS * 2).clamp(2, SUB_SEGMENTS) as usize;
            cuts = if seg.source.rows >= seg.target.rows {
                self::cuts(src, plan, &seg.range, n, parts).await?
            } else {
                self::cuts(tgt, plan, &seg.range, n, parts).await?
            };
        }
        if cuts.is_empty() {
            let (a, b) = tokio::join!(
                src.rows(plan, &seg.range, &all, None),
                tgt.rows(plan, &seg.range, &all, None)
            );
            rows::diff(plan, &a?, &b?, &mut found);
            continue;
        }
        let (a, b) = tokio::join!(
            src.tallies(plan, &seg.range, &cuts, progress),
            tgt.tallies(plan, &seg.range, &cuts, progress)
        );
        let (a, b) = (a?, b?);
        for ((range, s), t) in split(&seg.range, &cuts).into_iter().zip(a).zip(b) {
            if s != t {
                queue.push_back(Segment {
                    range,
                    source: s,
                    target: t,
                    depth: seg.depth + 1,
                });
            }
        }
    }
    let truncated = found.len() > max || !queue.is_empty();
    found.truncate(max);
    Ok(Found {
        rows: found,
        truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_split_a_range_into_adjacent_parts() {
        let r = Range {
            lo: Some(vec!["1".into()]),
            hi: None,
        };
        let parts = split(&r, &[vec!["5".into()], vec!["9".into()]]);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].lo, r.lo);
        assert_eq!(parts[0].hi, Some(vec!["5".to_string()]));
        assert_eq!(parts[1].lo, Some(vec!["5".to_string()]));
        assert_eq!(parts[2].hi, None);
    }

    #[test]
    fn segment_counts_follow_the_rows() {
        assert_eq!(segments_for(0), 1);
        assert_eq!(segments_for(10_000), 2);
        assert_eq!(segments_for(1_000_000), 244);
        assert_eq!(segments_for(u64::MAX), MAX_SEGMENTS);
    }
}
