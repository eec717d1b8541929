//! What a checkpoint costs, without its backup:
//!
//! - fingerprint: introspection + hash of a 200-table schema (each table 6 columns, a
//!   primary key, an index, a foreign key to the one before), SQLite and PostgreSQL
//!   (MariaDB for information); target < 50 ms;
//! - checksum: rows/s of `table_stat` over a 1M-row, 6-column table (SQLite target
//!   2M rows/s, PostgreSQL 1M rows/s; MariaDB for information), next to the floor of a
//!   plain `count(*)`;
//! - memory: peak RSS (VmHWM) of a child process checksumming 1M rows, and 10M rows
//!   with CUTOVER_BENCH_10M=1 (generating 10M rows takes a while);
//! - per file of the demo: before each of its files (as the apply run takes a
//!   checkpoint), fingerprint + counts, and fingerprint + counts + checksums; target
//!   < 20 ms for fingerprint + counts; after each file, the checks an apply runs there
//!   (the default orphan and integrity checks on the tables it wrote); target < 100 ms.
//!
//! `cargo bench --bench checkpoint` runs SQLite; CUTOVER_BENCH_PG_URL and
//! CUTOVER_BENCH_MYSQL_URL (server URLs whose database part is replaced) add the
//! servers. CUTOVER_BENCH_RUNS sets the run count (5); CUTOVER_BENCH_ONLY one part
//! (fingerprint, checksum, memory, demo); CUTOVER_BENCH_PROBE=1 adds where SQLite's
//! checksum time goes. Figures are medians; SQLite's checksum also in CPU time, which a
//! busy machine disturbs less than the wall clock.

use cutover::db::{self, schema, Conn, ConnectInfo};
use cutover::sql::Dialect;
use std::path::Path;
use std::time::Instant;

const TABLES: usize = 200;

fn info(url: &str) -> ConnectInfo {
    ConnectInfo {
        url: url.to_string(),
        display: cutover::plan::redacted_url(url),
        init_sql: Vec::new(),
        create_missing: true,
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt")
        .block_on(f)
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Sqlite,
    Postgres,
    Mysql,
}

impl Kind {
    fn dialect(self) -> Dialect {
        match self {
            Kind::Sqlite => Dialect::Sqlite,
            Kind::Postgres => Dialect::Postgres,
            Kind::Mysql => Dialect::Mysql,
        }
    }
}

/// A fresh database, dropped at the end.
struct Target {
    kind: Kind,
    url: String,
    admin: Option<String>,
    name: String,
}

fn fresh(kind: Kind, root: &Path, name: &str, server: Option<&str>) -> Target {
    if kind == Kind::Sqlite {
        let file = root.join(format!("{name}.db"));
        let _ = std::fs::remove_file(&file);
        return Target {
            kind,
            url: format!("sqlite://{}", file.display()),
            admin: None,
            name: name.to_string(),
        };
    }
    let admin = server.expect("server url").to_string();
    let db = format!("cutover_bench_{name}");
    let drop = match kind {
        Kind::Postgres => format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
        _ => format!("DROP DATABASE IF EXISTS {db}"),
    };
    block_on(async {
        let (mut c, _) = db::connect(&info(&admin)).await.expect("connect admin");
        let _ = c.execute(&drop).await;
        c.execute(&format!("CREATE DATABASE {db}"))
            .await
            .expect("create db");
        c.close().await;
    });
    let mut u = url::Url::parse(&admin).expect("url");
    u.set_path(&format!("/{db}"));
    Target {
        kind,
        url: u.to_string(),
        admin: Some(admin),
        name: db,
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let Some(admin) = &self.admin else { return };
        let sql = match self.kind {
            Kind::Postgres => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            _ => format!("DROP DATABASE IF EXISTS {}", self.name),
        };
        block_on(async {
            if let Ok((mut c, _)) = db::connect(&info(admin)).await {
                let _ = c.execute(&sql).await;
                c.close().await;
            }
        });
    }
}

async fn connect(url: &str) -> Conn {
    db::connect(&info(url)).await.expect("connect").0
}

async fn exec(c: &mut Conn, sql: &str) {
    c.execute(sql)
        .await
        .unwrap_or_else(|f| panic!("{sql}: {}", f.message));
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn runs() -> usize {
    std::env::var("CUTOVER_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
}

/// 200 tables: 6 columns, a primary key, an index, a foreign key to the table before.
async fn make_tables(c: &mut Conn) {
    // One transaction where DDL can be in one (MySQL commits each statement anyway).
    exec(c, "BEGIN").await;
    for i in 0..TABLES {
        let fk = if i == 0 {
            String::new()
        } else {
            format!(", FOREIGN KEY (parent_id) REFERENCES t{} (id)", i - 1)
        };
        exec(
            c,
            &format!(
                "CREATE TABLE t{i} (id INTEGER NOT NULL PRIMARY KEY, parent_id INTEGER, name VARCHAR(80) NOT NULL, \
                 amount DECIMAL(12,2) DEFAULT 0, note TEXT, created_at TIMESTAMP NULL{fk})"
            ),
        )
        .await;
        exec(c, &format!("CREATE INDEX t{i}_name ON t{i} (name)")).await;
    }
    exec(c, "COMMIT").await;
}

fn bench_fingerprint(kind: Kind, root: &Path, server: Option<&str>) {
    let t = fresh(kind, root, "fp200", server);
    let took = block_on(async {
        let mut c = connect(&t.url).await;
        make_tables(&mut c).await;
        let mut v = Vec::new();
        let mut fp = String::new();
        // One warm-up, then timed runs.
        for i in 0..=runs().max(10) {
            let start = Instant::now();
            let s = schema::introspect(&mut c, &[]).await.expect("introspect");
            fp = s.fingerprint();
            assert_eq!(s.tables.len(), TABLES);
            if i > 0 {
                v.push(start.elapsed().as_secs_f64() * 1000.0);
            }
        }
        c.close().await;
        (median(&mut v), fp)
    });
    println!(
        "{:<9} fingerprint of {TABLES} tables: {:>7.1} ms  ({})",
        format!("{kind:?}"),
        took.0,
        schema::short(&took.1)
    );
}

/// Fills `big` with `rows` rows of 6 columns (integers, text, a real, NULLs).
async fn fill_big(c: &mut Conn, kind: Kind, rows: u64) {
    let create = match kind {
        Kind::Mysql => "CREATE TABLE big (id INT NOT NULL PRIMARY KEY, a INT, b VARCHAR(40), c DOUBLE, d VARCHAR(40), e INT)",
        _ => "CREATE TABLE big (id INTEGER NOT NULL PRIMARY KEY, a INTEGER, b VARCHAR(40), c DOUBLE PRECISION, d VARCHAR(40), e INTEGER)",
    };
    exec(c, create).await;
    let select = "n, n * 7 % 1000, CONCAT('name ', n), n * 0.5, CASE WHEN n % 10 = 0 THEN NULL ELSE CONCAT('x', n % 97) END, n % 3";
    let sql = match kind {
        Kind::Sqlite => format!(
            "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {rows}) \
             INSERT INTO big SELECT n, n * 7 % 1000, 'name ' || n, n * 0.5, CASE WHEN n % 10 = 0 THEN NULL ELSE 'x' || (n % 97) END, n % 3 FROM s"
        ),
        Kind::Postgres => format!(
            "INSERT INTO big SELECT {select} FROM generate_series(1, {rows}) n"
        ),
        // MariaDB's Sequence engine; MySQL has no seq_ tables.
        Kind::Mysql => format!(
            "INSERT INTO big SELECT seq, seq * 7 % 1000, CONCAT('name ', seq), seq * 0.5, \
             CASE WHEN seq % 10 = 0 THEN NULL ELSE CONCAT('x', seq % 97) END, seq % 3 FROM seq_1_to_{rows}"
        ),
    };
    exec(c, &sql).await;
    if kind == Kind::Postgres {
        exec(c, "VACUUM ANALYZE big").await;
    }
}

fn bench_checksum(kind: Kind, root: &Path, server: Option<&str>) {
    let rows = 1_000_000u64;
    let t = fresh(kind, root, "sum1m", server);
    block_on(async {
        let mut c = connect(&t.url).await;
        fill_big(&mut c, kind, rows).await;
        let cols = ["a", "b", "c", "d", "e", "id"];
        let (mut sums, mut counts, mut cpu) = (Vec::new(), Vec::new(), Vec::new());
        let mut checksum = None;
        for _ in 0..runs() {
            let start = Instant::now();
            let n = c
                .scalar_i64("SELECT COUNT(*) FROM big")
                .await
                .expect("count");
            counts.push(start.elapsed().as_secs_f64());
            assert_eq!(n as u64, rows);
            let (start, c0) = (Instant::now(), cpu_seconds());
            let st = schema::table_stat(&mut c, "big", &cols, u64::MAX)
                .await
                .expect("stat");
            sums.push(start.elapsed().as_secs_f64());
            cpu.push(cpu_seconds() - c0);
            assert_eq!(st.rows, rows);
            checksum = st.checksum;
        }
        c.close().await;
        let (s, n, cs) = (median(&mut sums), median(&mut counts), median(&mut cpu));
        // SQLite hashes in this process: its CPU time is the work; the servers work in
        // their own processes.
        let cpu_note = if kind == Kind::Sqlite {
            format!(
                ", CPU {:.0} ms = {:.2} M rows/s",
                cs * 1000.0,
                rows as f64 / cs / 1e6
            )
        } else {
            String::new()
        };
        println!(
            "{:<9} checksum of 1M rows x 6 columns: {:>7.0} ms = {:>5.2} M rows/s{cpu_note}  (count(*) {:.0} ms = {:.1} M rows/s; {})",
            format!("{kind:?}"),
            s * 1000.0,
            rows as f64 / s / 1e6,
            n * 1000.0,
            rows as f64 / n / 1e6,
            checksum.unwrap_or_default()
        );
    });
    drop(t);
}

/// Peak RSS of a child that checksums a `rows`-row table.
fn bench_memory(kind: Kind, root: &Path, server: Option<&str>, rows: u64) {
    let t = fresh(kind, root, &format!("mem{rows}"), server);
    block_on(async {
        let mut c = connect(&t.url).await;
        fill_big(&mut c, kind, rows).await;
        c.close().await;
    });
    let exe = std::env::current_exe().expect("exe");
    let out = std::process::Command::new(exe)
        .args(["child-stats", &t.url])
        .output()
        .expect("child");
    let text = String::from_utf8_lossy(&out.stdout);
    println!(
        "{:<9} peak memory checksumming {:>2}M rows: {}",
        format!("{kind:?}"),
        rows / 1_000_000,
        text.trim()
    );
}

/// The child of `bench_memory`: checksums `big`, prints VmHWM and the time.
fn child_stats(url: &str) {
    let start = Instant::now();
    let st = block_on(async {
        let mut c = connect(url).await;
        let st = schema::table_stat(&mut c, "big", &["a", "b", "c", "d", "e", "id"], u64::MAX)
            .await
            .expect("stat");
        c.close().await;
        st
    });
    let took = start.elapsed();
    let cpu = cpu_seconds();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("VmHWM: ?")
        .split_whitespace()
        .nth(1)
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| format!("{:.1} MiB", kb / 1024.0))
        .unwrap_or_else(|| "?".into());
    println!(
        "VmHWM {hwm} ({} rows in {:.2} s, process CPU {cpu:.2} s)",
        st.rows,
        took.as_secs_f64()
    );
}

/// Before each demo file (as the apply run checkpoints), fingerprint + counts and
/// fingerprint + counts + checksums; then the file runs.
fn bench_demo(kind: Kind, root: &Path, server: Option<&str>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/migrations");
    let folder = cutover::source::read_folder(&dir, &Default::default()).expect("demo folder");
    let t = fresh(kind, root, "demo", server);
    let (mut counts, mut full, mut after) = (Vec::new(), Vec::new(), Vec::new());
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let em = cutover::emit::Emitter::new(tx);
    block_on(async {
        let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
        let mut c = connect(&t.url).await;
        for m in &folder.migrations {
            let start = Instant::now();
            let s = schema::introspect(&mut c, &[]).await.expect("introspect");
            let _ = s.fingerprint();
            schema::table_stats(&mut c, &s, 0).await.expect("counts");
            counts.push(start.elapsed().as_secs_f64() * 1000.0);
            let start = Instant::now();
            let s = schema::introspect(&mut c, &[]).await.expect("introspect");
            let _ = s.fingerprint();
            schema::table_stats(&mut c, &s, 1_000_000)
                .await
                .expect("stats");
            full.push(start.elapsed().as_secs_f64() * 1000.0);
            for s in cutover::sql::split(&m.up_sql, kind.dialect()) {
                exec(&mut c, &s.sql).await;
            }
            after.push(checks_after(&mut c, &m.up_sql, root, &em).await);
        }
        c.close().await;
        drop(em);
        let _ = drain.await;
    });
    let n = counts.len();
    let max = |v: &[f64]| v.iter().cloned().fold(0.0, f64::max);
    let (mc, mf, ma) = (max(&counts), max(&full), max(&after));
    println!(
        "{:<9} checkpoint before each of {n} demo files: fingerprint + counts {:>6.1} ms (max {mc:.1}); + checksums {:>6.1} ms (max {mf:.1})",
        format!("{kind:?}"),
        median(&mut counts),
        median(&mut full),
    );
    println!(
        "{:<9} checks after each of {n} demo files: {:>6.1} ms (max {ma:.1}, after the 200,000-row load: {:.1})",
        format!("{kind:?}"),
        median(&mut after.clone()),
        after.first().copied().unwrap_or(0.0),
    );
}

/// The checks an apply runs after a file (`engine::validate::after_file`): the default
/// orphan and integrity checks on the tables the file wrote. Milliseconds; panics if
/// one fails (the demo leaves no orphan).
async fn checks_after(c: &mut Conn, up_sql: &str, root: &Path, em: &cutover::emit::Emitter) -> f64 {
    let start = Instant::now();
    let s = schema::introspect(c, &[]).await.expect("introspect");
    let touched = cutover::check::tables_written(up_sql, c.dialect, &s);
    let checks = cutover::check::defaults_for(&s, Some(&touched));
    let mut ctx = cutover::check::Context {
        target: c,
        source: None,
        checkpoint: None,
        base_dir: root,
        batch: None,
        file: Some("demo".into()),
        em,
    };
    let results = cutover::check::run(&mut ctx, &checks).await;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    assert!(results.iter().all(|r| r.passed), "{results:?}");
    ms
}

/// This process's CPU time (user + system) from /proc, in seconds: on a loaded machine
/// the wall clock says more about the neighbours than about the code.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which sits in parentheses): utime is the 12th,
    // stime the 13th, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / 100.0
}

/// SQLite only, for the record: where the time of a checksum goes. The floor of sqlx
/// streaming the 6 columns without looking at them (every row crosses its channel), and
/// SQLite building each row's text without hashing it (BINARY collation).
fn probe_sqlite(root: &Path) {
    use futures_util::TryStreamExt;
    use sqlx::{ConnectOptions, Row};
    let t = fresh(Kind::Sqlite, root, "probe", None);
    let rows = 1_000_000u64;
    block_on(async {
        let mut c = connect(&t.url).await;
        fill_big(&mut c, Kind::Sqlite, rows).await;
        c.close().await;
        let opts = t
            .url
            .parse::<sqlx::sqlite::SqliteConnectOptions>()
            .expect("opts");
        let mut conn = opts.connect().await.expect("connect");
        let (mut v, mut cpu) = (Vec::new(), Vec::new());
        for _ in 0..runs() {
            let (start, c0) = (Instant::now(), cpu_seconds());
            let mut n = 0u64;
            let mut s = sqlx::query("SELECT a, b, c, d, e, id FROM big").fetch(&mut conn);
            while let Some(r) = s.try_next().await.expect("row") {
                n += r.len() as u64 / 6;
            }
            drop(s);
            assert_eq!(n, rows);
            v.push(start.elapsed().as_secs_f64());
            cpu.push(cpu_seconds() - c0);
        }
        let (m, mc) = (median(&mut v), median(&mut cpu));
        println!(
            "Sqlite    probe: sqlx streaming 6 columns, no hashing {:>7.0} ms = {:>5.2} M rows/s (CPU {:.0} ms)",
            m * 1000.0,
            rows as f64 / m / 1e6,
            mc * 1000.0
        );
        let row =
            "quote(a)||','||quote(b)||','||quote(c)||','||quote(d)||','||quote(e)||','||quote(id)";
        let sql = format!("SELECT COUNT(*) FROM big WHERE ({row}) <> ''");
        let (mut v, mut cpu) = (Vec::new(), Vec::new());
        for _ in 0..runs() {
            let (start, c0) = (Instant::now(), cpu_seconds());
            let n: i64 = sqlx::query_scalar(&sql)
                .fetch_one(&mut conn)
                .await
                .expect("count");
            assert_eq!(n as u64, rows);
            v.push(start.elapsed().as_secs_f64());
            cpu.push(cpu_seconds() - c0);
        }
        let (m, mc) = (median(&mut v), median(&mut cpu));
        println!(
            "Sqlite    probe: row text built, not hashed       {:>7.0} ms = {:>5.2} M rows/s (CPU {:.0} ms)",
            m * 1000.0,
            rows as f64 / m / 1e6,
            mc * 1000.0
        );
    });
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("child-stats") {
        child_stats(args.get(2).expect("url"));
        return;
    }
    let root = tempfile::tempdir().expect("tempdir");
    let pg = std::env::var("CUTOVER_BENCH_PG_URL").ok();
    let my = std::env::var("CUTOVER_BENCH_MYSQL_URL").ok();
    let mut kinds = vec![(Kind::Sqlite, None)];
    if let Some(u) = &pg {
        kinds.push((Kind::Postgres, Some(u.as_str())));
    }
    if let Some(u) = &my {
        kinds.push((Kind::Mysql, Some(u.as_str())));
    }
    let ten = std::env::var("CUTOVER_BENCH_10M").is_ok_and(|v| v == "1");
    println!("checkpoint costs without backup, {} runs, medians", runs());
    // CUTOVER_BENCH_ONLY=fingerprint|checksum|memory|demo runs one part.
    let only = std::env::var("CUTOVER_BENCH_ONLY").unwrap_or_default();
    let part = |name: &str| only.is_empty() || only == name;
    for &(kind, server) in &kinds {
        if part("fingerprint") {
            bench_fingerprint(kind, root.path(), server);
        }
    }
    for &(kind, server) in &kinds {
        if part("checksum") {
            bench_checksum(kind, root.path(), server);
        }
    }
    if std::env::var("CUTOVER_BENCH_PROBE").is_ok_and(|v| v == "1") {
        probe_sqlite(root.path());
    }
    for &(kind, server) in &kinds {
        if part("memory") {
            bench_memory(kind, root.path(), server, 1_000_000);
            if ten {
                bench_memory(kind, root.path(), server, 10_000_000);
            }
        }
    }
    for &(kind, server) in &kinds {
        if part("demo") {
            bench_demo(kind, root.path(), server);
        }
    }
}
