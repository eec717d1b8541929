//! Source versus target on a table of CUTOVER_BENCH_ROWS rows (1,000,000) and six
//! columns (bigint key, int, bigint, varchar, numeric(12,2), timestamp) with one changed
//! row, side by side in one run against the tools a user would reach for instead:
//!
//! - cutover:            `db::compare::compare_table` (this crate, in process)
//! - reladiff:           `reladiff` from PyPI, found on PATH or in CUTOVER_BENCH_RELADIFF
//!   (e.g. `python3 -m venv /tmp/reladiff-venv && /tmp/reladiff-venv/bin/pip install
//!   'reladiff[postgresql,mysql]'`, then CUTOVER_BENCH_RELADIFF=/tmp/reladiff-venv/bin/reladiff)
//! - pg_comparator:      Debian `postgresql-comparator` (its `pgcmp` extension is created
//!   in the PostgreSQL databases), run with its defaults and with `-z 4` (4-byte row
//!   checksums). Against SQLite it needs upstream's `sqlite_checksum.so` (CKSUM2/4/8, ISUM),
//!   which Debian does not package; built from the same version (2.3.2) with gcc and
//!   libsqlite3-dev, it is loaded when CUTOVER_BENCH_PGC_SQLITE_EXT names it (passed on as
//!   pg_comparator's PGC_SQLITE_LOAD_EXTENSION), else SQLite vs PostgreSQL skips it:
//!   `git clone https://github.com/zx80/pg_comparator /tmp/pg_comparator &&
//!   make -C /tmp/pg_comparator sqlite_checksum.so`, then
//!   CUTOVER_BENCH_PGC_SQLITE_EXT=/tmp/pg_comparator/sqlite_checksum.so.
//!   pg_comparator hashes the text of each column, and SQLite's NUMERIC affinity stores
//!   473.00 as the integer 473 and 473.10 as the real 473.1: on the table itself it would
//!   report every tenth row. It reads the view `bench_pgc` instead, which prints `d` with
//!   two decimals as PostgreSQL does (the rendering cutover does in process). Its default
//!   8-byte sums never agree across the two (SQLite's ISUM wraps, PostgreSQL's SUM does
//!   not), so it ends up fetching every row checksum; with `-z 4` they agree.
//!
//! Pairs: PostgreSQL vs PostgreSQL, PostgreSQL vs MariaDB, SQLite vs PostgreSQL. Every
//! tool must report the changed row (checked), a tool that is not installed is skipped.
//! The data is built once and reused (databases `cutover_bench_cmp_*`, SQLite file in
//! /tmp/cutover-bench-compare). CUTOVER_BENCH_RUNS sets the runs (5); medians printed.
//!
//! Servers: CUTOVER_BENCH_PG_URL (postgres://postgres@127.0.0.1:5432/postgres),
//! CUTOVER_BENCH_MYSQL_URL (mysql://root@127.0.0.1:3306/mysql).

use cutover::db::compare::{compare_table, CompareOptions};
use cutover::db::{self, ConnectInfo};
use cutover::emit::Emitter;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

fn env_or(var: &str, default: &str) -> String {
    std::env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

fn info(url: &str) -> ConnectInfo {
    ConnectInfo {
        url: url.to_string(),
        display: cutover::plan::redacted_url(url),
        init_sql: Vec::new(),
        create_missing: true,
    }
}

fn with_db(server: &str, db: &str) -> String {
    let mut u = url::Url::parse(server).expect("server URL");
    u.set_path(&format!("/{db}"));
    u.to_string()
}

struct Setup {
    rows: u64,
    changed: u64,
    pg_a: String,
    pg_b: String,
    my: String,
    sqlite: PathBuf,
}

async fn exec_all(url: &str, stmts: &[String]) {
    let (mut c, _) = db::connect(&info(url)).await.expect("connect");
    for s in stmts {
        if let Err(f) = c.execute(s).await {
            panic!("{s}: {}", f.message);
        }
    }
    c.close().await;
}

async fn count(url: &str) -> Option<i64> {
    let (mut c, _) = db::connect(&info(url)).await.ok()?;
    let n = c.scalar_i64("SELECT COUNT(*) FROM bench").await.ok();
    c.close().await;
    n
}

/// Builds (or reuses) the four copies: PostgreSQL A and SQLite hold the data, PostgreSQL
/// B and MariaDB the same with one row changed.
async fn setup() -> Setup {
    let rows: u64 = env_or("CUTOVER_BENCH_ROWS", "1000000")
        .parse()
        .expect("rows");
    let pg = env_or(
        "CUTOVER_BENCH_PG_URL",
        "postgres://postgres@127.0.0.1:5432/postgres",
    );
    let my = env_or(
        "CUTOVER_BENCH_MYSQL_URL",
        "mysql://root@127.0.0.1:3306/mysql",
    );
    let dir = PathBuf::from("/tmp/cutover-bench-compare");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let s = Setup {
        rows,
        changed: rows * 2 / 3,
        pg_a: with_db(&pg, "cutover_bench_cmp_a"),
        pg_b: with_db(&pg, "cutover_bench_cmp_b"),
        my: with_db(&my, "cutover_bench_cmp"),
        sqlite: dir.join(format!("source-{rows}.db")),
    };
    let change = format!("UPDATE bench SET c = 'changed' WHERE id = {}", s.changed);
    for (server, url, db, changed) in [
        (&pg, &s.pg_a, "cutover_bench_cmp_a", false),
        (&pg, &s.pg_b, "cutover_bench_cmp_b", true),
    ] {
        if count(url).await == Some(rows as i64) {
            continue;
        }
        eprintln!("building {db} ({rows} rows)...");
        exec_all(
            server,
            &[
                format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
                format!("CREATE DATABASE {db}"),
            ],
        )
        .await;
        let mut stmts = vec![
            "CREATE EXTENSION IF NOT EXISTS pgcmp".to_string(),
            "CREATE TABLE bench (id bigint PRIMARY KEY, a int, b bigint, c varchar(40), d numeric(12,2), e timestamp)".into(),
            format!("INSERT INTO bench SELECT x, x % 1000, x::bigint * 7919, 'name ' || x, (x % 100000) / 100.0, \
                     timestamp '2024-01-01' + x * interval '1 second' FROM generate_series(1, {rows}) x"),
            "VACUUM ANALYZE bench".into(),
        ];
        if changed {
            stmts.push(change.clone());
        }
        // pgcmp may be missing (no pg_comparator): the rest still runs.
        let (mut c, _) = db::connect(&info(url)).await.expect("connect");
        for st in &stmts {
            if let Err(f) = c.execute(st).await {
                assert!(st.contains("pgcmp"), "{st}: {}", f.message);
            }
        }
        c.close().await;
    }
    if count(&s.my).await != Some(rows as i64) {
        eprintln!("building MariaDB cutover_bench_cmp ({rows} rows)...");
        exec_all(
            &my,
            &[
                "DROP DATABASE IF EXISTS cutover_bench_cmp".into(),
                "CREATE DATABASE cutover_bench_cmp".into(),
            ],
        )
        .await;
        exec_all(&s.my, &[
            "CREATE TABLE bench (id bigint PRIMARY KEY, a int, b bigint, c varchar(40), d decimal(12,2), e datetime)".into(),
            format!("INSERT INTO bench SELECT seq, seq % 1000, seq * 7919, CONCAT('name ', seq), (seq % 100000) / 100.0, \
                     TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq SECOND FROM seq_1_to_{rows}"),
            "ANALYZE TABLE bench".into(),
            change.clone(),
        ]).await;
    }
    let sqlite_url = format!("sqlite://{}", s.sqlite.display());
    if count(&sqlite_url).await != Some(rows as i64) {
        eprintln!("building {} ({rows} rows)...", s.sqlite.display());
        let _ = std::fs::remove_file(&s.sqlite);
        exec_all(&sqlite_url, &[
            "CREATE TABLE bench (id bigint PRIMARY KEY, a int, b bigint, c varchar(40), d numeric(12,2), e timestamp)".into(),
            format!("INSERT INTO bench WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < {rows}) \
                     SELECT x, x % 1000, x * 7919, 'name ' || x, (x % 100000) / 100.0, \
                     datetime('2024-01-01', '+' || x || ' seconds') FROM s"),
        ]).await;
    }
    // pg_comparator's view of the SQLite table (see the module comment).
    exec_all(
        &sqlite_url,
        &["CREATE VIEW IF NOT EXISTS bench_pgc AS \
           SELECT id, a, b, c, printf('%.2f', d) AS d, e FROM bench"
            .into()],
    )
    .await;
    s
}

/// One timed cutover comparison; panics unless it names the changed row.
async fn cutover_once(a: &str, b: &str, changed: u64) -> f64 {
    let (mut s, _) = db::connect(&info(a)).await.expect("connect");
    let (mut t, _) = db::connect(&info(b)).await.expect("connect");
    let (tx, mut rx) = tokio::sync::mpsc::channel(4096);
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let em = Emitter::new(tx);
    let started = Instant::now();
    let cmp = compare_table(&mut s, &mut t, "bench", &CompareOptions::default(), &em)
        .await
        .expect("compare");
    let secs = started.elapsed().as_secs_f64();
    drop(em);
    let _ = drain.await;
    let key = format!("id={changed}");
    assert!(
        cmp.differences.len() == 1 && cmp.differences[0].key == key,
        "cutover did not find {key}: {cmp:?}"
    );
    s.close().await;
    t.close().await;
    secs
}

/// Runs an external tool; its time, or None when it is not installed or its output does
/// not pass `right` (said on stderr, with the output's tail).
fn tool_once(
    program: &str,
    args: &[String],
    env: &[(&str, &str)],
    right: impl Fn(&str) -> bool,
) -> Option<f64> {
    let started = Instant::now();
    let out = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .ok()?;
    let secs = started.elapsed().as_secs_f64();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !right(&text) {
        let tail: String = text
            .chars()
            .rev()
            .take(400)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        eprintln!("{program} {args:?}: wrong answer (not counted):\n{tail}");
        return None;
    }
    Some(secs)
}

/// Whether some line of a tool's output names the row `id`.
fn names_row(text: &str, id: u64) -> bool {
    let id = id.to_string();
    text.lines()
        .any(|l| l.split(|c: char| !c.is_ascii_digit()).any(|w| w == id))
}

/// Whether pg_comparator's differences (`UPDATE|INSERT|DELETE <key>` lines) are exactly
/// the changed row: naming it among spurious ones (see `bench_pgc`) is not an answer.
fn pgc_names_only(text: &str, id: u64) -> bool {
    let diffs: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.split_once(' ')
                .is_some_and(|(verb, _)| matches!(verb, "UPDATE" | "INSERT" | "DELETE"))
        })
        .collect();
    diffs == [format!("UPDATE {id}")]
}

/// One timed pg_comparator run (`-z 4` when `z4`); `sqlite_ext` is the checksum extension
/// its SQLite side needs (None: not built, the pair is skipped).
fn pgc_once(
    bin: &str,
    z4: bool,
    source: &str,
    target: &str,
    sqlite_ext: Option<&str>,
    changed: u64,
) -> Option<f64> {
    let mut args = Vec::new();
    if z4 {
        args.extend(["-z".to_string(), "4".into()]);
    }
    args.extend([source.to_string(), target.to_string()]);
    let env: Vec<(&str, &str)> = sqlite_ext
        .map(|ext| ("PGC_SQLITE_LOAD_EXTENSION", ext))
        .into_iter()
        .collect();
    tool_once(bin, &args, &env, |text| pgc_names_only(text, changed))
}

fn reladiff_bin() -> Option<String> {
    let bin = env_or("CUTOVER_BENCH_RELADIFF", "reladiff");
    Command::new(&bin)
        .arg("--version")
        .output()
        .ok()
        .map(|_| bin)
}

fn pg_comparator_bin() -> Option<String> {
    Command::new("pg_comparator")
        .arg("--version")
        .output()
        .ok()
        .map(|_| "pg_comparator".to_string())
}

/// A URL as reladiff takes it: it knows `postgresql://`, not `postgres://`.
fn reladiff_url(url: &str) -> String {
    match url.strip_prefix("postgres://") {
        Some(rest) => format!("postgresql://{rest}"),
        None => url.to_string(),
    }
}

/// A URL as pg_comparator spells it: `pgsql://user@host:port/db/table?key:cols`.
fn pgc_url(url: &str) -> String {
    let u = url::Url::parse(url).expect("URL");
    let scheme = match u.scheme() {
        "postgres" | "postgresql" => "pgsql",
        other => other,
    };
    format!(
        "{scheme}://{}@{}:{}{}/bench?id:a,b,c,d,e",
        u.username(),
        u.host_str().unwrap_or("localhost"),
        u.port().unwrap_or(5432),
        u.path()
    )
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    Some(v[v.len() / 2])
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let s = rt.block_on(setup());
    let runs: usize = env_or("CUTOVER_BENCH_RUNS", "5").parse().expect("runs");
    let sqlite_url = format!("sqlite://{}", s.sqlite.display());
    let reladiff = reladiff_bin();
    let pgc = pg_comparator_bin();
    let pgc_sqlite = format!("sqlite:///{}/bench_pgc?id:a,b,c,d,e", s.sqlite.display());
    let pgc_ext = std::env::var("CUTOVER_BENCH_PGC_SQLITE_EXT")
        .ok()
        .filter(|v| !v.is_empty());
    if pgc.is_some() && pgc_ext.is_none() {
        eprintln!("CUTOVER_BENCH_PGC_SQLITE_EXT unset: no pg_comparator against SQLite");
    }
    let pairs = [
        (
            "PostgreSQL vs PostgreSQL",
            s.pg_a.clone(),
            s.pg_b.clone(),
            false,
        ),
        ("PostgreSQL vs MariaDB", s.pg_a.clone(), s.my.clone(), false),
        (
            "SQLite vs PostgreSQL",
            sqlite_url.clone(),
            s.pg_b.clone(),
            true,
        ),
    ];
    println!(
        "compare: {} rows, 6 columns, one changed row (id={}), {runs} runs, medians in seconds",
        s.rows, s.changed
    );
    println!("| pair | cutover | reladiff | pg_comparator | pg_comparator -z 4 |");
    println!("|---|---|---|---|---|");
    // While working on one pair or tool: CUTOVER_BENCH_PAIRS=pg-pg,pg-my,lite-pg and
    // CUTOVER_BENCH_TOOLS=cutover,reladiff,pgc,pgc4 pick them (all by default).
    let pick = |var: &str, name: &str| {
        std::env::var(var)
            .map(|v| v.split(',').any(|x| x.trim() == name))
            .unwrap_or(true)
    };
    let pair_names = ["pg-pg", "pg-my", "lite-pg"];
    let tool_names = ["cutover", "reladiff", "pgc", "pgc4"];
    for (p, (name, a, b, sqlite)) in pairs.into_iter().enumerate() {
        if !pick("CUTOVER_BENCH_PAIRS", pair_names[p]) {
            continue;
        }
        let mut times: [Vec<f64>; 4] = Default::default();
        for run in 0..runs {
            // Rotate the order so no tool always runs on a cold or warm cache.
            for k in 0..4 {
                let tool = (k + run) % 4;
                if !pick("CUTOVER_BENCH_TOOLS", tool_names[tool]) {
                    continue;
                }
                let t = match tool {
                    0 => Some(rt.block_on(cutover_once(&a, &b, s.changed))),
                    1 => match (&reladiff, sqlite) {
                        // reladiff cannot read SQLite.
                        (Some(bin), false) => {
                            let args: Vec<String> = [
                                reladiff_url(&a),
                                "bench".into(),
                                reladiff_url(&b),
                                "bench".into(),
                                "-k".into(),
                                "id".into(),
                                "-c".into(),
                                "a".into(),
                                "-c".into(),
                                "b".into(),
                                "-c".into(),
                                "c".into(),
                                "-c".into(),
                                "d".into(),
                                "-c".into(),
                                "e".into(),
                            ]
                            .to_vec();
                            tool_once(bin, &args, &[], |t| names_row(t, s.changed))
                        }
                        _ => None,
                    },
                    _ => {
                        // MariaDB has no pgcmp functions; SQLite needs the extension.
                        let source = match (sqlite, &pgc_ext) {
                            (false, _) => Some((pgc_url(&a), None)),
                            (true, Some(ext)) => Some((pgc_sqlite.clone(), Some(ext.as_str()))),
                            (true, None) => None,
                        };
                        match (&pgc, source) {
                            (Some(bin), Some((src, ext))) if !b.starts_with("mysql") => {
                                pgc_once(bin, tool == 3, &src, &pgc_url(&b), ext, s.changed)
                            }
                            _ => None,
                        }
                    }
                };
                if let Some(t) = t {
                    times[tool].push(t);
                }
            }
        }
        let cell = |v: &mut Vec<f64>| match median(v) {
            Some(m) => format!("{m:.2} s"),
            None => "—".to_string(),
        };
        let [c, r, p, z] = &mut times;
        println!(
            "| {name} | {} | {} | {} | {} |",
            cell(c),
            cell(r),
            cell(p),
            cell(z)
        );
    }
}
