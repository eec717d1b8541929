//! Fitting text into terminal columns, for the headless tables and the cockpit alike.

/// Cuts text to a width in characters, with an ellipsis when cut.
pub fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn cuts_by_characters_with_an_ellipsis() {
        assert_eq!(super::fit("migration", 20), "migration");
        assert_eq!(super::fit("migration", 5), "migr…");
        assert_eq!(super::fit("ünïcödé", 4), "ünï…");
        assert_eq!(super::fit("x", 0), "");
    }
}
