//! Apply 1,000 generated small migrations (a CREATE TABLE and a few INSERTs each) and
//! compare, interleaved in one run, with a fresh database before every run:
//!
//! - floor:   the same statements in one loop through sqlx, one transaction per file
//! - engine:  cutover's apply job through the library (ledger, events, lock included)
//! - binary:  the `cutover apply` process end to end (plan, folder, output included)
//! - sqlx-cli: `sqlx migrate run` on the same folder, when `sqlx` is on PATH
//!
//! `cargo bench --bench apply` runs SQLite; set CUTOVER_BENCH_PG_URL (a server URL whose
//! database part is replaced) to add PostgreSQL. CUTOVER_BENCH_RUNS sets the run count (5).

use cutover::db::{self, ConnectInfo};
use cutover::engine::{self, ApplyOptions, Emitter, Workspace};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const FILES: usize = 1000;

fn write_folder(dir: &Path) {
    std::fs::create_dir_all(dir).expect("mkdir");
    for i in 1..=FILES {
        let sql = format!(
            "CREATE TABLE t{i} (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50) NOT NULL, n INTEGER NOT NULL);\n\
             INSERT INTO t{i} (id, name, n) VALUES (1, 'one', {i});\n\
             INSERT INTO t{i} (id, name, n) VALUES (2, 'two', {i});\n\
             INSERT INTO t{i} (id, name, n) VALUES (3, 'three', {i});\n"
        );
        std::fs::write(dir.join(format!("{i:04}_create_t{i}.sql")), sql).expect("write");
    }
}

fn info(url: &str) -> ConnectInfo {
    ConnectInfo {
        url: url.to_string(),
        display: cutover::plan::redacted_url(url),
        init_sql: Vec::new(),
        create_missing: true,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Sqlite,
    Postgres,
}

/// A fresh, empty target for one run.
struct Target {
    kind: Kind,
    url: String,
    admin: Option<String>,
    name: String,
}

fn fresh(kind: Kind, root: &Path, n: usize, pg: Option<&str>) -> Target {
    match kind {
        Kind::Sqlite => {
            let file = root.join(format!("run{n}.db"));
            let _ = std::fs::remove_file(&file);
            Target {
                kind,
                url: format!("sqlite://{}?mode=rwc", file.display()),
                admin: None,
                name: String::new(),
            }
        }
        Kind::Postgres => {
            let admin = pg.expect("pg url").to_string();
            let name = format!("cutover_bench_{n}");
            block_on(async {
                let (mut c, _) = db::connect(&info(&admin)).await.expect("connect admin");
                let _ = c
                    .execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
                c.execute(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create db");
                c.close().await;
            });
            let mut u = url::Url::parse(&admin).expect("url");
            u.set_path(&format!("/{name}"));
            Target {
                kind,
                url: u.to_string(),
                admin: Some(admin),
                name,
            }
        }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if let (Kind::Postgres, Some(admin)) = (self.kind, &self.admin) {
            let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
            block_on(async {
                if let Ok((mut c, _)) = db::connect(&info(admin)).await {
                    let _ = c.execute(&sql).await;
                    c.close().await;
                }
            });
        }
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt")
        .block_on(f)
}

/// The floor: split, then each file in its own transaction, in one loop.
fn floor(url: &str, files: &[(String, String)], dialect: cutover::sql::Dialect) -> Duration {
    block_on(async {
        let t = Instant::now();
        let (mut c, _) = db::connect(&info(url)).await.expect("connect");
        for (_, sql) in files {
            c.begin().await.expect("begin");
            for s in cutover::sql::split(sql, dialect) {
                c.execute(&s.sql).await.expect("stmt");
            }
            c.commit().await.expect("commit");
        }
        c.close().await;
        t.elapsed()
    })
}

fn engine_run(ws: &Workspace, url: &str) -> Duration {
    block_on(async {
        let (tx, rx) = tokio::sync::mpsc::channel(1024);
        // A consumer that reads every event, paced as the headless printer and the
        // cockpit read them.
        let sink = tokio::spawn(cutover::engine::consume_paced(rx, |_| {}));
        let t = Instant::now();
        let opts = ApplyOptions {
            operator: "bench".into(),
            ..Default::default()
        };
        let r = engine::apply(
            ws,
            &info(url),
            &opts,
            &Emitter::new(tx),
            &engine::Stop::new(),
        )
        .await
        .expect("apply");
        let took = t.elapsed();
        assert_eq!(r.files.len(), FILES);
        let _ = sink.await;
        took
    })
}

fn binary_run(plan: &Path, url: &str) -> Duration {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(["apply", "-p"])
        .arg(plan)
        .env("BENCH_URL", url)
        .output()
        .expect("run cutover");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    t.elapsed()
}

fn sqlx_cli_run(dir: &Path, url: &str) -> Option<Duration> {
    let t = Instant::now();
    let out = Command::new("sqlx")
        .args(["migrate", "run", "--source"])
        .arg(dir)
        .args(["--database-url", url])
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!("sqlx-cli failed: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    Some(t.elapsed())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let root = tempfile::tempdir().expect("tempdir");
    let mig = root.path().join("migrations");
    write_folder(&mig);
    let plan: PathBuf = root.path().join("bench.toml");
    std::fs::write(&plan, "[plan]\nname = \"bench\"\n[target]\nurl = \"${BENCH_URL}\"\n[migrations]\ndir = \"migrations\"\nformat = \"sqlx\"\n")
        .expect("plan");
    std::env::set_var("BENCH_URL", "sqlite::memory:");
    let p = cutover::plan::load(&plan).expect("plan loads");
    let folder =
        cutover::source::read_folder(&p.migrations.dir, &Default::default()).expect("folder");
    let batches = cutover::plan::resolve_batches(&p, &folder.migrations).expect("batches");
    let files: Vec<(String, String)> = folder
        .migrations
        .iter()
        .map(|m| (m.path.display().to_string(), m.up_sql.clone()))
        .collect();
    let ws = Workspace {
        plan: p,
        folder,
        batches,
    };
    // The same folder read through a custom pattern: no native tool, so no sqlx history
    // table is kept. The difference to `engine` is what adopting sqlx costs.
    let mut ws_plain = ws.clone();
    ws_plain.folder.format = cutover::source::Format::Custom;
    let runs: usize = std::env::var("CUTOVER_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let has_sqlx = Command::new("sqlx")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let pg = std::env::var("CUTOVER_BENCH_PG_URL").ok();
    let mut kinds = vec![(Kind::Sqlite, cutover::sql::Dialect::Sqlite)];
    if pg.is_some() {
        kinds.push((Kind::Postgres, cutover::sql::Dialect::Postgres));
    }
    println!(
        "apply {FILES} small migrations, {runs} interleaved runs, fresh database each run; medians"
    );
    for (kind, dialect) in kinds {
        let (mut f, mut e, mut b, mut s) = (vec![], vec![], vec![], vec![]);
        let mut e_plain = vec![];
        for r in 0..runs {
            let t = fresh(kind, root.path(), r * 4, pg.as_deref());
            f.push(floor(&t.url, &files, dialect).as_secs_f64());
            drop(t);
            let t = fresh(kind, root.path(), r * 4 + 1, pg.as_deref());
            e.push(engine_run(&ws, &t.url).as_secs_f64());
            drop(t);
            let t = fresh(kind, root.path(), r * 4 + 2, pg.as_deref());
            b.push(binary_run(&plan, &t.url).as_secs_f64());
            drop(t);
            let t = fresh(kind, root.path(), r * 4 + 100, pg.as_deref());
            e_plain.push(engine_run(&ws_plain, &t.url).as_secs_f64());
            drop(t);
            if has_sqlx {
                let t = fresh(kind, root.path(), r * 4 + 3, pg.as_deref());
                if let Some(d) = sqlx_cli_run(&mig, &t.url) {
                    s.push(d.as_secs_f64());
                }
            }
        }
        let name = if kind == Kind::Sqlite {
            "sqlite"
        } else {
            "postgres"
        };
        let (fm, em, bm) = (median(&mut f), median(&mut e), median(&mut b));
        println!("{name:<9} floor    {:>8.3} s", fm);
        println!(
            "{name:<9} engine   {:>8.3} s  ({:.2}x floor, overhead {:.3} ms/file)",
            em,
            em / fm,
            (em - fm) * 1000.0 / FILES as f64
        );
        let pm = median(&mut e_plain);
        println!("{name:<9} engine without a native history table {:>8.3} s  ({:.2}x floor, overhead {:.3} ms/file)", pm, pm / fm, (pm - fm) * 1000.0 / FILES as f64);
        println!("{name:<9} binary   {:>8.3} s  ({:.2}x floor)", bm, bm / fm);
        if s.is_empty() {
            println!("{name:<9} sqlx-cli  (not on PATH: cargo install sqlx-cli --no-default-features --features sqlite,postgres,rustls)");
        } else {
            let sm = median(&mut s);
            println!(
                "{name:<9} sqlx-cli {:>8.3} s  (binary/sqlx-cli {:.2}x)",
                sm,
                bm / sm
            );
        }
    }
}
