//! Passwords never reach output, reports or logs, as a property: random passwords made
//! of reserved characters (`@ / ? # : % & = + ; $ ! * [ ] '` and space), written into the
//! URL both unencoded and percent-encoded, and no 4-character piece of one may appear in
//! what the real binary prints (headless `apply` and `status`, their `--json` reports)
//! or in the log files under `.cutover/logs`: against an unreachable port, against
//! MariaDB with a wrong password, and against PostgreSQL (trust authentication accepts
//! any password) where the run succeeds.

mod common;
use common::*;
use proptest::prelude::*;
use std::path::Path;

/// Reserved characters (at most two in a row) between letters that appear nowhere else
/// in the URLs or cutover's messages, so that any 4-character piece of the password
/// found in the output is a leak.
fn password() -> impl Strategy<Value = String> {
    let reserved = prop::sample::select(vec![
        '@', '/', '?', '#', ':', '%', '&', '=', '+', ';', '$', '!', '*', '[', ']', ' ', '\'',
    ]);
    let marker = prop::sample::select(vec!['Q', 'X', 'Z', 'J', 'K', 'W']);
    prop::collection::vec((marker, prop::collection::vec(reserved, 0..=2)), 2..8).prop_map(|segs| {
        segs.into_iter()
            .flat_map(|(m, r)| std::iter::once(m).chain(r))
            .collect()
    })
}

fn encoded(pw: &str) -> String {
    url::form_urlencoded::byte_serialize(pw.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// The first 4-character piece of `secret` that `out` holds.
fn leaked_piece(out: &str, secret: &str) -> Option<String> {
    let chars: Vec<char> = secret.chars().collect();
    chars
        .windows(4)
        .map(|w| w.iter().collect::<String>())
        .find(|w| out.contains(w.as_str()))
}

/// Runs `apply --json` and `status` (plain and `--json`) on a plan whose target is
/// `url`, and returns everything a person or a tool could read afterwards.
fn everything_shown(dir: &Path, url: &str) -> (Option<i32>, String) {
    let plan = format!(
        "[target]\nurl = \"{}\"\n\n[migrations]\ndir = \"migrations\"\nformat = \"sqlx\"\n",
        url.replace('$', "$$")
    );
    std::fs::write(dir.join("cutover.toml"), plan).expect("plan");
    write_files(
        &dir.join("migrations"),
        &[("1_a.sql", "CREATE TABLE redaction_a (id INT);")],
    );
    let report = dir.join("report.json");
    let apply = cutover(dir, &["apply", "--json", report.to_str().expect("utf8")]);
    let status = cutover(dir, &["status"]);
    let status_json = cutover(dir, &["status", "--json"]);
    let mut all = format!("{}{}{}", text(&apply), text(&status), text(&status_json));
    all.push_str(&std::fs::read_to_string(&report).unwrap_or_default());
    let logs = dir.join(".cutover").join("logs");
    for entry in std::fs::read_dir(&logs).into_iter().flatten().flatten() {
        all.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
    }
    (apply.status.code(), all)
}

fn assert_no_leak(url: &str, pw: &str, shown: &str) -> Result<(), TestCaseError> {
    for secret in [pw.to_string(), encoded(pw)] {
        if let Some(piece) = leaked_piece(shown, &secret) {
            return Err(TestCaseError::fail(format!(
                "`{piece}` of the password shows for {url}:\n{shown}"
            )));
        }
    }
    Ok(())
}

fn server(var: &str) -> Option<url::Url> {
    server_url(var, "redaction").map(|s| url::Url::parse(&s).expect("server URL"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn unreachable_servers_and_sqlite_never_show_the_password(pw in password()) {
        for written in [pw.clone(), encoded(&pw)] {
            for url in [
                format!("postgres://app:{written}@127.0.0.1:1/shop"),
                format!("mysql://app:{written}@127.0.0.1:1/shop"),
                format!("postgres://app@127.0.0.1:1/shop?password={written}"),
                format!("sqlite://app:{written}@/x.db"),
                format!("sqlite://app:{written}@x.db"),
            ] {
                let dir = tempfile::tempdir().expect("tempdir");
                let (code, shown) = everything_shown(dir.path(), &url);
                prop_assert!(code == Some(2) || code == Some(0), "{url}: {code:?} {shown}");
                prop_assert!(!shown.contains("panicked"), "{shown}");
                assert_no_leak(&url, &pw, &shown)?;
            }
        }
    }

    #[test]
    fn mariadb_with_a_wrong_password_never_shows_it(pw in password()) {
        let Some(mut u) = server("CUTOVER_TEST_MYSQL_URL") else { return Ok(()); };
        u.set_password(Some("placeholder")).expect("password");
        for written in [pw.clone(), encoded(&pw)] {
            let url = u.as_str().replacen(":placeholder@", &format!(":{written}@"), 1);
            let dir = tempfile::tempdir().expect("tempdir");
            let (code, shown) = everything_shown(dir.path(), &url);
            prop_assert_eq!(code, Some(2), "{}", shown);
            prop_assert!(shown.contains("password"), "says what to check: {shown}");
            assert_no_leak(&url, &pw, &shown)?;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_successful_run_never_shows_the_password(pw in password()) {
        let Some(db) = TestDb::new(Backend::Postgres, "a_successful_run_never_shows_the_password") else {
            return Ok(());
        };
        // Encoded, the password reaches the server (trust authentication accepts it).
        let mut u = url::Url::parse(&db.url).expect("url");
        u.set_password(Some("placeholder")).expect("password");
        let url = u.as_str().replacen(":placeholder@", &format!(":{}@", encoded(&pw)), 1);
        let (code, shown) = everything_shown(db.dir.path(), &url);
        prop_assert_eq!(code, Some(0), "{}", shown);
        prop_assert!(shown.contains("postgres://postgres:***@"), "{shown}");
        assert_no_leak(&url, &pw, &shown)?;
    }
}

/// The issue's URL: an unencoded `@` before a `/` and a `#` in the password. Shown
/// masked between `//` and the last `@`, and refused before connecting (the driver
/// would send `Zq` to a host named `rt`).
#[test]
fn issue_url_is_masked_and_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = "postgres://u:Zq@rt/y:Sec#9?x@127.0.0.1:1/db";
    let (code, shown) = everything_shown(dir.path(), url);
    assert_eq!(code, Some(2), "{shown}");
    assert!(shown.contains("postgres://***@127.0.0.1:1/db"), "{shown}");
    assert!(shown.contains("%40"), "says how to encode: {shown}");
    for piece in ["Zq@r", "rt/y", "y:Se", "Sec#", "9?x@"] {
        assert!(!shown.contains(piece), "{piece}: {shown}");
    }
}

/// A case the property found: an unencoded `&` in a query-string password makes the rest a
/// parameter of its own, which sqlx's connect-option parser echoed into the log file
/// ("ignoring unrecognized connect parameter key=Q/Q["). That parser stays out of the log.
#[test]
fn a_password_split_by_an_ampersand_stays_out_of_the_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pw = "Qx&Qy/Qz[";
    let url = format!("postgres://app@127.0.0.1:1/shop?password={pw}");
    let (code, shown) = everything_shown(dir.path(), &url);
    assert_eq!(code, Some(2), "{shown}");
    for piece in ["Qy/Q", "y/Qz", "/Qz["] {
        assert!(!shown.contains(piece), "{piece}: {shown}");
    }
}
