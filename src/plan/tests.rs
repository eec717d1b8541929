//! Plan tests. Invalid plans live one per file in `tests/fixtures/plans/invalid/`,
//! each beside a `.expected` file holding the exact message the user sees
//! (`CUTOVER_BLESS=1 cargo test --lib plan::` rewrites them; review the diff).

use super::*;
use crate::source::{Kind, Migration, Native, TxMode, Version};
use std::path::{Path, PathBuf};

const PASSWORD: &str = "s3cret-pw";

fn env(name: &str) -> Option<String> {
    match name {
        "DB_PASSWORD" => Some(PASSWORD.to_string()),
        "DB_HOST" => Some("db.internal".to_string()),
        _ => None,
    }
}

fn env_with_database_url(name: &str) -> Option<String> {
    match name {
        "DATABASE_URL" => Some(format!("postgres://ci:{PASSWORD}@pg:5432/shop")),
        other => env(other),
    }
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plans")
}

/// Parses plan text as `/plans/shop/cutover.toml`.
fn plan(text: &str) -> Result<Plan, PlanError> {
    parse(text, Path::new("/plans/shop/cutover.toml"), &env)
}

fn err(text: &str) -> String {
    match plan(text) {
        Ok(p) => panic!("expected an error, got {p:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn every_invalid_fixture_gives_its_expected_message() {
    let dir = fixtures().join("invalid");
    let bless = std::env::var_os("CUTOVER_BLESS").is_some();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "fixtures missing: {files:?}");
    let mut failures = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("fixture");
        let shown = Path::new("tests/fixtures/plans/invalid").join(file.file_name().expect("name"));
        let message = match parse(&text, &shown, &env) {
            Ok(p) => format!("unexpectedly valid: {p:?}"),
            Err(e) => e.to_string(),
        };
        assert!(
            !message.contains(PASSWORD),
            "{}: password leaked: {message}",
            shown.display()
        );
        let expected_file = file.with_extension("expected");
        if bless {
            std::fs::write(&expected_file, format!("{message}\n")).expect("write expected");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_file)
            .unwrap_or_else(|_| panic!("missing {}", expected_file.display()));
        if expected.trim_end() != message {
            failures.push(format!(
                "{}:\n  expected: {}\n  got:      {}",
                shown.display(),
                expected.trim_end(),
                message
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn full_plan_reads_every_key() {
    let path = fixtures().join("valid/full.toml");
    let text = std::fs::read_to_string(&path).expect("fixture");
    let p = parse(&text, &path, &env).expect("valid plan");
    let base = fixtures().join("valid");
    assert_eq!(p.file.as_deref(), Some(path.as_path()));
    assert_eq!(p.base_dir, base);
    assert_eq!(p.name, "shop v2 cutover");
    assert_eq!(p.theme.as_deref(), Some("high-contrast"));
    assert_eq!(
        p.target.url,
        format!("postgres://app:{PASSWORD}@db.internal:5432/shop?sslmode=require")
    );
    assert_eq!(
        p.target.init_sql,
        [
            "SET lock_timeout = '5s'",
            "SET statement_timeout = '60s'",
            "SELECT '$literal'"
        ]
    );
    let source = p.source.as_ref().expect("source");
    assert_eq!(
        source.url,
        format!("sqlite://{}/legacy/shop.db?mode=ro", base.display())
    );
    assert_eq!(source.init_sql, ["PRAGMA foreign_keys = ON"]);
    assert_eq!(p.migrations.dir, base.join("db/migrations"));
    assert_eq!(
        p.migrations.format,
        Some(crate::source::Format::GolangMigrate)
    );
    assert_eq!(p.migrations.pattern, None);
    assert_eq!(p.checkpoints.backup, BackupPolicy::PerFile);
    assert_eq!(p.checkpoints.checksum_row_limit, 250_000);
    use sha2::Digest;
    assert_eq!(p.sha256, hex::encode(sha2::Sha256::digest(text.as_bytes())));

    assert_eq!(p.batches.len(), 3);
    let b = &p.batches[0];
    assert_eq!(b.name, "simple-replacements");
    assert_eq!((b.risk, b.on_failure), (Risk::Low, OnFailure::Stop));
    let sels: Vec<(&str, usize, usize)> = b
        .files
        .iter()
        .map(|s| (s.text.as_str(), s.line, s.column))
        .collect();
    assert_eq!(sels, [("0001..=0003", 29, 10), ("0004", 29, 25)]);
    assert_eq!(b.checks.len(), 2);
    assert_eq!(b.checks[0].kind, "row_count");
    assert_eq!(b.checks[0].table.as_deref(), Some("orders"));
    assert_eq!(
        b.checks[0].compare,
        Some(toml::Value::String("checkpoint".into()))
    );
    assert_eq!(b.checks[0].severity.as_deref(), Some("critical"));
    let min = b.checks[1].compare.as_ref().and_then(|c| c.get("min"));
    assert_eq!(min, Some(&toml::Value::Integer(1)));
    assert_eq!(b.benches.len(), 1);
    let bench = &b.benches[0];
    assert_eq!(bench.name, "order by id");
    assert_eq!(
        (bench.runs, bench.warmup, bench.concurrency),
        (Some(50), Some(5), Some(4))
    );
    assert_eq!(
        (bench.p95_ms, bench.regression_pct),
        (Some(50.0), Some(10.5))
    );

    let b = &p.batches[1];
    assert_eq!(
        (b.risk, b.on_failure),
        (Risk::High, OnFailure::RollbackBatch)
    );
    assert_eq!(b.checks[0].expect, Some(toml::Value::Integer(0)));
    assert_eq!(b.checks[0].name.as_deref(), Some("no negative totals"));
    let b = &p.batches[2];
    assert_eq!(
        (b.risk, b.on_failure),
        (Risk::Medium, OnFailure::RollbackFile)
    );

    // Debug of the whole plan is safe to log.
    let debug = format!("{p:?}");
    assert!(!debug.contains(PASSWORD), "{debug}");
    assert!(
        debug.contains("postgres://app:***@db.internal:5432/shop"),
        "{debug}"
    );

    // And it resolves against a folder that has the files it names.
    let ms = folder(&[
        "0001_init",
        "0002_users",
        "0003_products",
        "0004_prices",
        "0005_split_orders_table",
        "0006_copy_orders_rows",
        "0007_drop_old",
        "0008_views",
        "0009_index_orders",
        "0010_index_users",
        "0011_later",
    ]);
    let batches = resolve_batches(&p, &ms).expect("resolves");
    assert_eq!(
        summary(&batches),
        [
            (
                "simple-replacements",
                vec!["0001", "0002", "0003", "0004"],
                false
            ),
            ("orders-split", vec!["0005", "0006", "0007", "0008"], false),
            ("indexes", vec!["0009", "0010"], false),
            ("unbatched", vec!["0011"], true),
        ]
        .map(|(n, v, i)| (n.to_string(), v.into_iter().map(String::from).collect(), i))
    );
    let numbers: Vec<usize> = batches.iter().map(|b| b.number).collect();
    assert_eq!(numbers, [1, 2, 3, 4]);
    let versions = |b: &Batch| -> Vec<String> {
        b.migrations
            .iter()
            .map(|&i| ms[i].version.to_string())
            .collect()
    };
    assert_eq!(versions(&batches[1]), ["0005", "0006", "0007", "0008"]);
    assert_eq!(batches[0].checks.len(), 2);
    assert_eq!(batches[0].benches.len(), 1);
}

#[test]
fn defaults_for_a_minimal_plan() {
    let p = plan("[target]\nurl = \"postgres://h/db\"\n").expect("valid");
    assert_eq!(p.name, "cutover");
    assert_eq!(p.base_dir, Path::new("/plans/shop"));
    assert_eq!(p.migrations.dir, Path::new("/plans/shop/migrations"));
    assert_eq!(p.migrations.format, None);
    assert_eq!(p.checkpoints.backup, BackupPolicy::Session);
    assert_eq!(p.checkpoints.checksum_row_limit, 1_000_000);
    assert!(p.batches.is_empty());
    assert!(p.source.is_none());
    assert!(p.theme.is_none());

    let p = plan("[target]\nurl = \"postgres://h/db\"\n[[batch]]\nname = \"a\"\nfiles = [\"1\"]\n")
        .expect("valid");
    assert_eq!(
        (p.batches[0].risk, p.batches[0].on_failure),
        (Risk::Low, OnFailure::Stop)
    );

    let p = parse(
        "[target]\nurl = 'mysql://h/db'\n",
        Path::new("release-42.toml"),
        &env,
    )
    .expect("valid");
    assert_eq!(p.name, "release-42");
    assert_eq!(p.base_dir, std::env::current_dir().expect("cwd"));
}

#[test]
fn custom_pattern_means_custom_format() {
    let p = plan(
        "[target]\nurl = 'sqlite::memory:'\n[migrations]\npattern = '^(?P<version>\\d+)-(?P<name>.+)\\.sql$'\n",
    )
    .expect("valid");
    assert_eq!(p.migrations.format, Some(crate::source::Format::Custom));
    assert_eq!(
        p.migrations.pattern.as_deref(),
        Some("^(?P<version>\\d+)-(?P<name>.+)\\.sql$")
    );
    let p = plan(
        "[target]\nurl = 'sqlite::memory:'\n[migrations]\nformat = 'auto'\ndir = '/abs/migs'\n",
    )
    .expect("valid");
    assert_eq!(p.migrations.format, None);
    assert_eq!(p.migrations.dir, Path::new("/abs/migs"));
}

#[test]
fn target_falls_back_to_database_url() {
    let text = "[plan]\nname = 'x'\n";
    let p = parse(
        text,
        Path::new("/plans/shop/cutover.toml"),
        &env_with_database_url,
    )
    .expect("DATABASE_URL fills the target");
    assert_eq!(
        p.target.url,
        format!("postgres://ci:{PASSWORD}@pg:5432/shop")
    );

    // A [target] with init_sql only keeps its init_sql.
    let text = "[target]\ninit_sql = ['SET x = 1']\n";
    let p = parse(
        text,
        Path::new("/plans/shop/cutover.toml"),
        &env_with_database_url,
    )
    .expect("valid");
    assert_eq!(p.target.init_sql, ["SET x = 1"]);
    assert!(p.target.url.starts_with("postgres://ci:"));

    // A [target] url wins over DATABASE_URL.
    let text = "[target]\nurl = 'sqlite://t.db'\n";
    let p = parse(
        text,
        Path::new("/plans/shop/cutover.toml"),
        &env_with_database_url,
    )
    .expect("valid");
    assert_eq!(p.target.url, "sqlite:///plans/shop/t.db");

    // A relative SQLite DATABASE_URL starts at the plan's folder, like "${DATABASE_URL}".
    let sqlite_env = |n: &str| (n == "DATABASE_URL").then(|| "sqlite:data/app.db".to_string());
    let p = parse("", Path::new("/plans/shop/cutover.toml"), &sqlite_env).expect("valid");
    assert_eq!(p.target.url, "sqlite:///plans/shop/data/app.db");

    let bad_env = |n: &str| (n == "DATABASE_URL").then(|| format!("mongodb://u:{PASSWORD}@h/db"));
    let e = parse("", Path::new("/plans/shop/cutover.toml"), &bad_env)
        .expect_err("bad scheme")
        .to_string();
    assert_eq!(
        e,
        "/plans/shop/cutover.toml: DATABASE_URL holds an unsupported database URL scheme `mongodb:`\n  hint: use a sqlite:, postgres:, postgresql:, mysql: or mariadb: URL, e.g. sqlite://app.db or postgres://user@host:5432/db"
    );
}

#[test]
fn defaults_without_a_plan_file() {
    let cwd = Path::new("/work/shop");
    let e = super::build::defaults(cwd, &env)
        .expect_err("no DATABASE_URL")
        .to_string();
    assert_eq!(
        e,
        "no plan: no cutover.toml in /work/shop and DATABASE_URL is not set\n  hint: pass -p PLAN (or set CUTOVER_PLAN) to name a plan file, or set DATABASE_URL to the target database"
    );
    let p = super::build::defaults(cwd, &env_with_database_url).expect("defaults");
    assert_eq!(p.file, None);
    assert_eq!(p.name, "shop");
    assert_eq!(p.sha256, "");
    assert_eq!(p.base_dir, cwd);
    assert_eq!(p.migrations.dir, cwd.join("migrations"));
    assert_eq!(p.migrations.format, None);
    assert!(p.batches.is_empty());
    assert!(!format!("{p:?}").contains(PASSWORD));

    let sqlite_env =
        |n: &str| (n == "DATABASE_URL").then(|| "sqlite://demo.db?mode=rwc".to_string());
    let p = super::build::defaults(cwd, &sqlite_env).expect("defaults");
    assert_eq!(p.target.url, "sqlite:///work/shop/demo.db?mode=rwc");
}

#[test]
fn sqlite_urls_resolve_against_the_plan_folder() {
    let url = |u: &str| {
        plan(&format!("[target]\nurl = '{u}'\n"))
            .expect("valid")
            .target
            .url
    };
    assert_eq!(url("sqlite://demo.db"), "sqlite:///plans/shop/demo.db");
    assert_eq!(url("sqlite:demo.db"), "sqlite:///plans/shop/demo.db");
    assert_eq!(
        url("sqlite://./data/x.db?mode=rwc"),
        "sqlite:///plans/shop/data/x.db?mode=rwc"
    );
    assert_eq!(url("sqlite::memory:"), "sqlite::memory:");
    assert_eq!(url("sqlite:///abs/path.db"), "sqlite:///abs/path.db");
    assert_eq!(url("postgres://u@h/db"), "postgres://u@h/db");
    assert_eq!(url("postgresql://u@h/db"), "postgresql://u@h/db");
    assert_eq!(url("mariadb://u@h/db"), "mariadb://u@h/db");
    assert_eq!(
        url("mysql://u@h:3306/db?ssl-mode=DISABLED"),
        "mysql://u@h:3306/db?ssl-mode=DISABLED"
    );
}

#[test]
fn expansion_errors_point_at_the_variable() {
    // Escapes in a basic string shift positions: the error falls back to the string.
    let e = err("[target]\nurl = \"\\u0070g://${NOPE}\"\n");
    assert!(
        e.starts_with("/plans/shop/cutover.toml:2:7: environment variable `NOPE` is not set"),
        "{e}"
    );
    let e = err("[target]\nurl = \"pg://${NOPE}\"\n");
    assert!(
        e.starts_with("/plans/shop/cutover.toml:2:13: environment variable `NOPE` is not set"),
        "{e}"
    );
    let e = err("[target]\nurl = \"\"\"pg://${NOPE}\"\"\"\n");
    assert!(e.starts_with("/plans/shop/cutover.toml:2:7: "), "{e}");
    // Columns count characters, not bytes.
    let e = err("[target]\nurl = 'sqlite://ünï${NOPE}'\n");
    assert!(e.starts_with("/plans/shop/cutover.toml:2:20: "), "{e}");
    let e = err("[target]\nurl = 'sqlite://x'\n[migrations]\ndir = 'm/${1X}'\n");
    assert_eq!(
        e,
        "/plans/shop/cutover.toml:4:10: `${1X}` is not a variable reference\n  hint: variable names are letters, digits and _ (not starting with a digit); write $$ for a literal $"
    );
}

#[test]
fn empty_url_after_expansion() {
    let e = err("[target]\nurl = '${NOPE:-}'\n");
    assert!(
        e.starts_with("/plans/shop/cutover.toml:2:7: url in [target] is empty"),
        "{e}"
    );
}

#[test]
fn no_message_or_debug_output_holds_the_password() {
    let texts = [
        "[target]\nurl = 'oracle://admin:${DB_PASSWORD}@h/db'\n",
        "[target]\nurl = 'postgres://admin:${DB_PASSWORD}@h/db'\n[source]\nurl = 'ftp://u:${DB_PASSWORD}@x/y'\n",
        "[target]\nurl = 'mysql://u@h/db?password=${DB_PASSWORD}'\n[source]\nurl = 'mssql://h/db?sslpassword=${DB_PASSWORD}'\n",
        "[target]\nurl = 'nope:${DB_PASSWORD}@h/db'\n",
        "[target]\nurl = 'postgres://u:${DB_PASSWORD}/x@h/db'\n[source]\nurl = 'bad://${DB_PASSWORD}'\n",
    ];
    for text in texts {
        let e = plan(text).expect_err("invalid");
        assert!(!e.to_string().contains(PASSWORD), "{e}");
        assert!(!format!("{e:?}").contains(PASSWORD), "{e:?}");
    }
    let p = plan(
        "[target]\nurl = 'postgres://admin:${DB_PASSWORD}@h/db'\n[source]\nurl = 'mysql://u@h/db?password=${DB_PASSWORD}'\n",
    )
    .expect("valid");
    assert!(
        p.target.url.contains(PASSWORD),
        "the URL itself keeps the password"
    );
    let debug = format!("{p:?} {:#?}", p);
    assert!(!debug.contains(PASSWORD), "{debug}");
    assert_eq!(redacted_url(&p.target.url), "postgres://admin:***@h/db");
    assert_eq!(
        redacted_url(&p.source.as_ref().expect("source").url),
        "mysql://u@h/db?password=***"
    );
}

#[test]
fn line_and_column() {
    assert_eq!(line_col("ab\ncd", 0), (1, 1));
    assert_eq!(line_col("ab\ncd", 2), (1, 3));
    assert_eq!(line_col("ab\ncd", 3), (2, 1));
    assert_eq!(line_col("ab\ncd", 99), (2, 3));
    assert_eq!(line_col("é\nüx", 5), (2, 2));
    assert_eq!(line_col("é\nüx", 4), (2, 1)); // inside a character: rounded down to its start
}

#[test]
fn locate_prefers_explicit_then_cutover_toml() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("window.toml");
    std::fs::write(&file, "[target]\nurl = 'sqlite://w.db'\n").expect("write");
    assert_eq!(locate(Some(&file)).expect("found"), Some(file.clone()));
    let missing = dir.path().join("missing.toml");
    let e = locate(Some(&missing)).expect_err("missing").to_string();
    assert!(
        e.starts_with(&format!(
            "no plan: {} does not exist\n  hint: check the path given with -p or CUTOVER_PLAN",
            missing.display()
        )),
        "{e}"
    );
    // A folder means its cutover.toml.
    let e = locate(Some(dir.path()))
        .expect_err("no cutover.toml")
        .to_string();
    assert!(e.contains("is a folder without a cutover.toml"), "{e}");
    std::fs::write(dir.path().join("cutover.toml"), "").expect("write");
    assert_eq!(
        locate(Some(dir.path())).expect("found"),
        Some(dir.path().join("cutover.toml"))
    );
    // Without -p: ./cutover.toml if present (this crate has none at its root).
    assert_eq!(locate(None).expect("ok"), None);
}

#[test]
fn load_reads_hashes_and_reports_unreadable_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("shop.toml");
    let text = "[target]\nurl = 'sqlite://shop.db'\n[migrations]\ndir = 'db'\n";
    std::fs::write(&file, text).expect("write");
    let p = load(&file).expect("loads");
    assert_eq!(p.name, "shop");
    assert_eq!(p.base_dir, dir.path());
    assert_eq!(p.migrations.dir, dir.path().join("db"));
    assert_eq!(
        p.target.url,
        format!("sqlite://{}/shop.db", dir.path().display())
    );
    use sha2::Digest;
    assert_eq!(p.sha256, hex::encode(sha2::Sha256::digest(text.as_bytes())));

    let e = load(&dir.path().join("nope.toml"))
        .expect_err("missing")
        .to_string();
    assert!(e.starts_with("cannot read plan "), "{e}");

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, b"[plan]\nname = \"\xff\"\n").expect("write");
    let e = load(&bad).expect_err("not utf-8").to_string();
    assert_eq!(
        e,
        format!(
            "{}:2:9: the plan is not valid UTF-8\n  hint: save the file as UTF-8",
            bad.display()
        )
    );
}

// ---- batches ----------------------------------------------------------------------

/// A migration as a folder reader would produce it: `0003_add_users` becomes version
/// `0003`, name `add_users`, file `0003_add_users.up.sql`.
fn mig(stem: &str) -> Migration {
    let (version, name) = stem.split_once('_').unwrap_or((stem, stem));
    Migration {
        version: Version::parse(version),
        name: name.to_string(),
        kind: Kind::Versioned,
        path: PathBuf::from(format!("{stem}.up.sql")),
        up_sql: String::new(),
        down_sql: None,
        down_path: None,
        verify_sql: None,
        tx: TxMode::Wrapped,
        checksum: String::new(),
        native: Native::default(),
    }
}

fn folder(stems: &[&str]) -> Vec<Migration> {
    stems.iter().map(|s| mig(s)).collect()
}

fn ten() -> Vec<Migration> {
    folder(&[
        "0001_init",
        "0002_users",
        "0003_add_users_email",
        "0004_orders",
        "0005_order_items",
        "0006_backfill_orders",
        "0007_users_index",
        "0008_drop_legacy",
        "0009_views",
        "0010_cleanup",
    ])
}

fn summary(batches: &[Batch]) -> Vec<(String, Vec<String>, bool)> {
    batches
        .iter()
        .map(|b| {
            (
                b.name.clone(),
                b.migrations
                    .iter()
                    .map(|i| format!("{:04}", i + 1))
                    .collect(),
                b.implicit,
            )
        })
        .collect()
}

fn batches_of(body: &str, ms: &[Migration]) -> Result<Vec<Batch>, PlanError> {
    let p = plan(&format!("[target]\nurl = 'sqlite::memory:'\n{body}")).expect("valid plan");
    resolve_batches(&p, ms)
}

fn batch_err(body: &str, ms: &[Migration]) -> String {
    match batches_of(body, ms) {
        Ok(b) => panic!("expected an error, got {:?}", summary(&b)),
        Err(e) => e.to_string(),
    }
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[test]
fn ranges_versions_and_globs_select_files() {
    let b = batches_of(
        "[[batch]]\nname = 'a'\nfiles = ['1..=3']\n\
         [[batch]]\nname = 'b'\nfiles = ['0004..0006', '6']\n\
         [[batch]]\nname = 'c'\nfiles = ['000?_users_*', '0008', 'views', '0010_cleanup.up.sql']\n",
        &ten(),
    )
    .expect("resolves");
    assert_eq!(
        summary(&b),
        [
            ("a".to_string(), s(&["0001", "0002", "0003"]), false),
            ("b".to_string(), s(&["0004", "0005", "0006"]), false),
            ("c".to_string(), s(&["0007", "0008", "0009", "0010"]), false),
        ]
    );
    assert_eq!(b.iter().map(|b| b.number).collect::<Vec<_>>(), [1, 2, 3]);
}

#[test]
fn open_ranges_and_overlaps_within_a_batch() {
    let b = batches_of(
        "[[batch]]\nname = 'early'\nfiles = ['..0004', '0002', '000?_*']\n[[batch]]\nname = 'late'\nfiles = ['0010..']\n",
        &ten(),
    );
    // '000?_*' also matches 0004..0009, then 'late' holds 0010 only: fine.
    let b = b.expect("resolves");
    assert_eq!(b[0].migrations, (0..9).collect::<Vec<_>>());
    assert_eq!(b[1].migrations, [9]);
    assert_eq!(b.len(), 2);
}

#[test]
fn unnamed_files_form_a_final_implicit_batch() {
    let b = batches_of("[[batch]]\nname = 'a'\nfiles = ['0001..=0004']\n", &ten()).expect("ok");
    assert_eq!(
        summary(&b),
        [
            ("a".to_string(), s(&["0001", "0002", "0003", "0004"]), false),
            (
                "unbatched".to_string(),
                s(&["0005", "0006", "0007", "0008", "0009", "0010"]),
                true
            ),
        ]
    );
    let last = &b[1];
    assert_eq!(
        (last.number, last.risk, last.on_failure),
        (2, Risk::Low, OnFailure::Stop)
    );
    assert!(last.checks.is_empty() && last.benches.is_empty());

    // Everything named: no implicit batch.
    let b = batches_of("[[batch]]\nname = 'a'\nfiles = ['*']\n", &ten()).expect("ok");
    assert_eq!(b.len(), 1);
}

#[test]
fn without_batches_everything_is_one_batch() {
    let b = batches_of("", &ten()).expect("ok");
    assert_eq!(summary(&b).len(), 1);
    assert_eq!(b[0].name, "all");
    assert_eq!(b[0].number, 1);
    assert!(b[0].implicit);
    assert_eq!(b[0].migrations, (0..10).collect::<Vec<_>>());
    assert!(batches_of("", &[]).expect("ok").is_empty());
}

#[test]
fn versions_compare_by_number_not_text() {
    let ms = folder(&["1_a", "2_b", "10_c", "20240101120000_d"]);
    let b = batches_of(
        "[[batch]]\nname = 'x'\nfiles = ['0001..=0002']\n[[batch]]\nname = 'y'\nfiles = ['010', '20240101120000']\n",
        &ms,
    )
    .expect("ok");
    assert_eq!(b[0].migrations, [0, 1]);
    assert_eq!(b[1].migrations, [2, 3]);
    // Flyway-style dotted versions.
    let ms = folder(&["1.2.9_a", "1.2.10_b", "1.3_c"]);
    let b = batches_of("[[batch]]\nname = 'x'\nfiles = ['1.2.9..1.3']\n", &ms).expect("ok");
    assert_eq!(b[0].migrations, [0, 1]);
    assert_eq!(b[1].name, "unbatched");
}

#[test]
fn named_changes_work_as_selectors_and_range_ends() {
    // Sqitch: versions are change names ordered by position.
    let ms: Vec<Migration> = ["appschema", "users", "flips", "userflips"]
        .iter()
        .enumerate()
        .map(|(i, n)| Migration {
            version: Version::ordinal(n, i + 1),
            name: n.to_string(),
            path: PathBuf::from(format!("deploy/{n}.sql")),
            ..mig("1_x")
        })
        .collect();
    let b = batches_of(
        "[[batch]]\nname = 'x'\nfiles = ['appschema..=flips']\n[[batch]]\nname = 'y'\nfiles = ['userflips']\n",
        &ms,
    )
    .expect("ok");
    assert_eq!(b[0].migrations, [0, 1, 2]);
    assert_eq!(b[1].migrations, [3]);
}

#[test]
fn a_version_no_file_has() {
    let e = batch_err(
        "[[batch]]\nname = 'orders'\nfiles = ['0001..=0003', \"0042\"]\n",
        &ten(),
    );
    assert_eq!(
        e,
        "/plans/shop/cutover.toml:5:25: batch 'orders' names version 0042, but no migration file has it\n  hint: nearest versions: 0010; the migrations folder's versions run from 0001 to 0010"
    );
    let ms = folder(&["0001_a", "0003_c", "0010_d"]);
    let e = batch_err("[[batch]]\nname = 'x'\nfiles = ['2']\n", &ms);
    assert_eq!(
        e,
        "/plans/shop/cutover.toml:5:10: batch 'x' names version 2, but no migration file has it\n  hint: nearest versions: 0001, 0003; the migrations folder's versions run from 0001 to 0010"
    );
    let e = batch_err("[[batch]]\nname = 'x'\nfiles = ['2']\n", &[]);
    assert_eq!(
        e,
        "/plans/shop/cutover.toml:5:10: batch 'x' names version 2, but no migration file has it\n  hint: the migrations folder holds no migrations"
    );
}

#[test]
fn a_range_or_glob_matching_nothing() {
    let e = batch_err("[[batch]]\nname = 'x'\nfiles = ['0020..=0030']\n", &ten());
    assert_eq!(
        e,
        "/plans/shop/cutover.toml:5:10: batch 'x' names versions 0020..=0030, but no migration file is in that range\n  hint: the migrations folder's versions run from 0001 to 0010"
    );
    let e = batch_err("[[batch]]\nname = 'x'\nfiles = ['0005..=0003']\n", &ten());
    assert_eq!(
        e,
        "/plans/shop/cutover.toml:5:10: batch 'x': the range 0005..=0003 is empty\n  hint: write the lower version first: 0005..=0003 includes both ends, 0005..0003 leaves out 0003"
    );
    let e = batch_err("[[batch]]\nname = 'x'\nfiles = ['0003..0003']\n", &ten());
    assert!(e.contains("the range 0003..0003 is empty"), "{e}");
    let e = batch_err("[[batch]]\nname = 'x'\nfiles = ['*_payments_*']\n", &ten());
    assert_eq!(
        e,
        "/plans/shop/cutover.toml:5:10: batch 'x': `*_payments_*` matches no migration file\n  hint: globs (* and ?) match file names such as 0001_init.up.sql and migration names"
    );
}

#[test]
fn a_file_in_two_batches() {
    let e = batch_err(
        "[[batch]]\nname = 'a'\nfiles = ['0001..=0004']\n\n[[batch]]\nname = 'b'\nfiles = ['0005', '0004..=0006']\n",
        &ten(),
    );
    assert_eq!(
        e,
        "/plans/shop/cutover.toml:9:18: 0004_orders.up.sql is in batch 'a' and in batch 'b'\n  hint: a file belongs to one batch; take 0004 out of one of them"
    );
}

#[test]
fn interleaved_batches() {
    let e = batch_err(
        "[[batch]]\nname = 'a'\nfiles = ['0004..=0006']\n[[batch]]\nname = 'b'\nfiles = ['0007', '0002']\n",
        &ten(),
    );
    assert_eq!(
        e,
        "/plans/shop/cutover.toml:8:18: batch 'b' holds 0002_users.up.sql, which comes before 0006_backfill_orders.up.sql in batch 'a': files apply in version order\n  hint: reorder the batches, or move files between them, so that each batch's versions come after the previous batch's"
    );
    // Batches listed in reverse order.
    let e = batch_err(
        "[[batch]]\nname = 'late'\nfiles = ['0006..']\n[[batch]]\nname = 'early'\nfiles = ['..0006']\n",
        &ten(),
    );
    assert!(e.starts_with("/plans/shop/cutover.toml:8:10: batch 'early' holds 0001_init.up.sql, which comes before 0010_cleanup.up.sql in batch 'late'"), "{e}");
}

#[test]
fn files_left_between_batches() {
    let e = batch_err(
        "[[batch]]\nname = 'a'\nfiles = ['0001..=0003']\n[[batch]]\nname = 'b'\nfiles = ['0006..=0008']\n",
        &ten(),
    );
    assert_eq!(
        e,
        "/plans/shop/cutover.toml:8:10: 0004_orders.up.sql is in no batch, but comes before 0008_drop_legacy.up.sql in batch 'b': files apply in version order\n  hint: add versions 0004, 0005 to a batch (files already applied can go in a first batch of their own)"
    );
    let e = batch_err("[[batch]]\nname = 'a'\nfiles = ['0010']\n", &ten());
    assert!(
        e.contains(
            "hint: add versions 0001, 0002, 0003, 0004, 0005, 0006, 0007, 0008, 0009 to a batch"
        ),
        "{e}"
    );
}

const CHECK_PLAN: &str = "[target]\nurl = \"sqlite://shop.db\"\n\n[[batch]]\nname = \"first\"\nfiles = [\"0001\"]\n\n  [[batch.check]]\n";

#[test]
fn checks_keep_what_they_say() {
    let p = plan(&format!(
        "[source]\nurl = \"sqlite://old.db\"\n{CHECK_PLAN}  kind = \"checksum\"\n  table = \"orders\"\n  compare = \"source\"\n  severity = \"critical\"\n\n  [[batch.check]]\n  kind = \"row_count\"\n  table = \"orders\"\n  compare = {{ min = 1, max = 9 }}\n"
    ))
    .expect("valid");
    let checks = &p.batches[0].checks;
    assert_eq!(checks.len(), 2);
    assert_eq!(checks[0].kind, "checksum");
    assert_eq!(checks[0].severity.as_deref(), Some("critical"));
    let parsed = crate::check::parse(&checks[1]).expect("a valid check");
    assert_eq!(
        parsed.compare(),
        Ok(crate::check::Compare::Bounds {
            min: Some(1),
            max: Some(9)
        })
    );
}

#[test]
fn check_errors_point_at_the_value() {
    let at = |body: &str| err(&format!("{CHECK_PLAN}{body}"));
    let e = at("  kind = \"rowcount\"\n");
    assert!(
        e.starts_with("/plans/shop/cutover.toml:9:10: unknown check kind `rowcount`"),
        "{e}"
    );
    assert!(e.contains("expected one of: schema, row_count"), "{e}");
    let e = at("  kind = \"sql\"\n  severity = \"fatal\"\n");
    assert!(e.contains(":10:14: invalid severity `fatal`"), "{e}");
    let e = at("  kind = \"not_null\"\n  table = \"t\"\n");
    assert!(e.contains(":9:10: not_null check needs column"), "{e}");
    let e = at("  kind = \"row_count\"\n");
    assert!(e.contains("row_count check needs table"), "{e}");
    let e = at("  kind = \"checksum\"\n  table = \"t\"\n  compare = \"source\"\n");
    assert!(
        e.contains(":11:13: compare = \"source\" in batch 'first', but the plan has no [source]"),
        "{e}"
    );
    let e = at("  kind = \"row_count\"\n  table = \"t\"\n  compare = { min = -1 }\n");
    assert!(e.contains("compare.min must be a whole number"), "{e}");
    let e = at("  kind = \"sql\"\n  query = \"SELECT 1\"\n  compare = \"checkpoint\"\n");
    assert!(e.contains("a sql check takes no compare"), "{e}");
    let e = at("  kind = \"row_count\"\n  table = \"t\"\n  colour = \"red\"\n");
    assert!(
        e.contains(":11:3: unknown key `colour` in [[batch.check]]"),
        "{e}"
    );
}
