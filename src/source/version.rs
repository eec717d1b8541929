use std::cmp::Ordering;

/// A migration version: the text as written, ordered by its numeric parts.
///
/// `1.2.10` > `1.2.9`; `0010` == `10` in order but keeps its text; non-numeric
/// parts compare as text after numbers (natural order).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version {
    raw: String,
    key: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Part {
    Num(u128),
    Text(String),
    /// Ordered as plain text, byte by byte (diesel versions, dbmate file names).
    Literal(String),
    /// Sorts after every number and text: Flyway repeatable migrations, which run after
    /// all versioned ones, in the order given by their rank.
    After(u128),
}

impl Version {
    /// Parses a version, splitting into parts at `.`, `_` and `-`, and at digit/letter
    /// boundaries. Digit runs too long for u128 compare as text (still ordered by length first).
    pub fn parse(raw: &str) -> Version {
        let mut key = Vec::new();
        let mut cur = String::new();
        let mut cur_digit = None;
        let flush = |cur: &mut String, key: &mut Vec<Part>, digit: Option<bool>| {
            if cur.is_empty() {
                return;
            }
            let part = match digit {
                Some(true) => {
                    let trimmed = cur.trim_start_matches('0');
                    match trimmed.parse::<u128>() {
                        Ok(n) => Part::Num(n),
                        Err(_) if trimmed.is_empty() => Part::Num(0),
                        // Longer than u128: keep ordering by (length, text) via zero-padded text.
                        Err(_) => Part::Text(format!("{:0>80}", trimmed)),
                    }
                }
                _ => Part::Text(cur.to_lowercase()),
            };
            key.push(part);
            cur.clear();
        };
        for ch in raw.chars() {
            if ch == '.' || ch == '_' || ch == '-' {
                flush(&mut cur, &mut key, cur_digit);
                cur_digit = None;
                continue;
            }
            let d = ch.is_ascii_digit();
            if cur_digit.is_some() && cur_digit != Some(d) {
                flush(&mut cur, &mut key, cur_digit);
            }
            cur_digit = Some(d);
            cur.push(ch);
        }
        flush(&mut cur, &mut key, cur_digit);
        Version {
            raw: raw.to_string(),
            key,
        }
    }

    /// A version whose order is a position (Sqitch: the order of the plan file).
    pub fn ordinal(raw: &str, position: usize) -> Version {
        Version {
            raw: raw.to_string(),
            key: vec![Part::Num(position as u128)],
        }
    }

    /// A version shown as `raw` but ordered (and compared for duplicates) as `key_text`
    /// parses. Flyway: `1.0` shows as written but orders equal to `1`.
    pub fn keyed(raw: &str, key_text: &str) -> Version {
        Version {
            raw: raw.to_string(),
            key: Version::parse(key_text).key,
        }
    }

    /// A version ordered after every numeric or textual version, by `rank` among its
    /// kind (Flyway `R__` repeatable migrations, ranked by description).
    pub fn after_all(raw: &str, rank: usize) -> Version {
        Version {
            raw: raw.to_string(),
            key: vec![Part::After(rank as u128)],
        }
    }

    /// A version shown as `raw` and ordered as the plain text `order`, byte by byte, as
    /// tools that sort strings do: diesel compares its version strings (`20240313` sorts
    /// after `20240306170000`), dbmate its file names.
    pub fn text(raw: &str, order: &str) -> Version {
        Version {
            raw: raw.to_string(),
            key: vec![Part::Literal(order.to_string())],
        }
    }

    /// `raw` (a version the operator typed) read the way `self` orders: as text beside a
    /// text-ordered version, else parsed. Keeps `--to` and range ends comparable with
    /// the folder's versions.
    pub fn parse_like(&self, raw: &str) -> Version {
        match self.key.first() {
            Some(Part::Literal(_)) => Version::text(raw, raw),
            _ => Version::parse(raw),
        }
    }

    /// True when both versions order the same, whatever their text (`1` and `01`):
    /// the native tools treat such versions as the same migration.
    pub fn same_key(&self, other: &Version) -> bool {
        self.key == other.key
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key
            .cmp(&other.key)
            .then_with(|| self.raw.cmp(&other.raw))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_not_textual_order() {
        assert!(Version::parse("9") < Version::parse("10"));
        assert!(Version::parse("1.2.9") < Version::parse("1.2.10"));
        assert!(Version::parse("2") < Version::parse("10"));
        assert!(Version::parse("0009") < Version::parse("0010"));
        assert!(Version::parse("20200101000000") < Version::parse("20210101000000"));
    }

    #[test]
    fn keyed_and_after_all() {
        let a = Version::keyed("1.0", "1");
        assert!(a.same_key(&Version::parse("1")));
        assert_eq!(a.as_str(), "1.0");
        let r0 = Version::after_all("R__a", 0);
        let r1 = Version::after_all("R__b", 1);
        assert!(Version::parse("99999999999999") < r0);
        assert!(Version::parse("zzz") < r0);
        assert!(r0 < r1);
        assert!(Version::parse("01").same_key(&Version::parse("1")));
        assert!(!Version::parse("1").same_key(&Version::parse("1.1")));
    }

    proptest::proptest! {
        #[test]
        fn dotted_versions_order_like_their_numbers(a in proptest::collection::vec(0u32..2000, 1..4),
                                                  b in proptest::collection::vec(0u32..2000, 1..4)) {
            let text = |v: &[u32]| v.iter().map(u32::to_string).collect::<Vec<_>>().join(".");
            let (va, vb) = (Version::parse(&text(&a)), Version::parse(&text(&b)));
            proptest::prop_assert_eq!(va.key.cmp(&vb.key), a.cmp(&b));
            proptest::prop_assert_eq!(va.same_key(&vb), a == b);
        }
    }

    #[test]
    fn text_versions_order_as_strings() {
        // diesel: `2024-03-13_170000_x` has version `20240313`, which diesel runs after
        // `20240306170000` and before `20240314000000`.
        let short = Version::text("20240313", "20240313");
        assert!(Version::text("20240306170000", "20240306170000") < short);
        assert!(short < Version::text("20240314000000", "20240314000000"));
        assert!(Version::text("10", "10") < Version::text("9", "9"));
        assert!(!Version::text("1", "1").same_key(&Version::text("01", "01")));
        let like = short.parse_like("20240314");
        assert!(short < like);
        assert_eq!(Version::parse("9").parse_like("10"), Version::parse("10"));
    }

    #[test]
    fn same_number_different_text_are_distinct() {
        assert_ne!(Version::parse("01"), Version::parse("1"));
        assert_eq!(Version::parse("01").key, Version::parse("1").key);
    }
}
