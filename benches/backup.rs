//! A durable SQLite backup, side by side in one run, each round in a rotating order:
//!
//! - cp+sync:  `cp SRC DST && sync` (the floor: a plain copy made durable)
//! - .backup:  sqlite3's online backup (`sqlite3 SRC ".backup DST"`), then `sync`
//! - vacuum:   `sqlite3 SRC "VACUUM INTO 'DST'"`, then `sync`
//! - cutover:  `checkpoint::take_backup` (write lock, kernel copy, sha256 in parallel,
//!   fsync of file and folder): durable when it returns
//!
//! The source is a WAL-mode database of about CUTOVER_BENCH_BACKUP_MB megabytes (1024)
//! kept in /tmp/cutover-bench-backup (built once, reused while its size matches).
//! CUTOVER_BENCH_ROUNDS sets the rounds (5). Medians, and each one's ratio to cp+sync.
//! At the end cutover's last copy is checked: `PRAGMA integrity_check` and its sha256.

use cutover::checkpoint;
use cutover::db::{self, ConnectInfo};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn env_num(var: &str, default: u64) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn info(url: &str) -> ConnectInfo {
    ConnectInfo {
        url: url.to_string(),
        display: url.to_string(),
        init_sql: Vec::new(),
        create_missing: true,
    }
}

fn sh(cmd: &str) {
    let ok = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "failed: {cmd}");
}

/// Builds (or reuses) the source database: rows of ~1 KB with an index, WAL mode.
fn source(dir: &Path, mb: u64) -> PathBuf {
    let file = dir.join(format!("source-{mb}mb.db"));
    let want = mb << 20;
    if std::fs::metadata(&file).is_ok_and(|m| m.len() >= want * 9 / 10) {
        return file;
    }
    let _ = std::fs::remove_file(&file);
    let rows = want / 1100;
    eprintln!(
        "building {} ({rows} rows, about {mb} MB)...",
        file.display()
    );
    let t = Instant::now();
    let sql = format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;
         CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, total INTEGER NOT NULL, note TEXT, payload BLOB);
         WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {rows})
         INSERT INTO orders SELECT x, hex(randomblob(12)), abs(random()) % 100000, hex(randomblob(40)), randomblob(900) FROM c;
         CREATE INDEX orders_customer ON orders (customer);
         PRAGMA wal_checkpoint(TRUNCATE);"
    );
    let ok = Command::new("sqlite3")
        .arg(&file)
        .arg(sql)
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "sqlite3 could not build the source (is sqlite3 installed?)"
    );
    eprintln!(
        "built in {:.1}s: {} MB",
        t.elapsed().as_secs_f64(),
        std::fs::metadata(&file).map(|m| m.len() >> 20).unwrap_or(0)
    );
    file
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Method {
    CpSync,
    Backup,
    Vacuum,
    Cutover,
}

const METHODS: [Method; 4] = [
    Method::CpSync,
    Method::Backup,
    Method::Vacuum,
    Method::Cutover,
];

fn name(m: Method) -> &'static str {
    match m {
        Method::CpSync => "cp+sync",
        Method::Backup => "sqlite3 .backup",
        Method::Vacuum => "VACUUM INTO",
        Method::Cutover => "cutover",
    }
}

fn clean(out: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = out.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

fn run(m: Method, src: &Path, out: &Path, rt: &tokio::runtime::Runtime) -> Duration {
    clean(out);
    // Nothing dirty left by the step before counts against this one.
    sh("sync");
    let (s, o) = (src.display(), out.display());
    let t = Instant::now();
    match m {
        Method::CpSync => sh(&format!("cp '{s}' '{o}' && sync")),
        Method::Backup => sh(&format!("sqlite3 '{s}' \".backup '{o}'\" && sync")),
        Method::Vacuum => sh(&format!("sqlite3 '{s}' \"VACUUM INTO '{o}'\" && sync")),
        Method::Cutover => {
            rt.block_on(async {
                let url = format!("sqlite://{s}");
                let (mut c, _) = db::connect(&info(&url)).await.expect("connect");
                let b =
                    checkpoint::take_backup(&mut c, &url, &out.with_extension(""), 0, &mut |_| {})
                        .await
                        .expect("cutover backup");
                c.close().await;
                assert_eq!(b.path, out);
            });
        }
    }
    t.elapsed()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn main() {
    let mb = env_num("CUTOVER_BENCH_BACKUP_MB", 1024);
    let rounds = env_num("CUTOVER_BENCH_ROUNDS", 5) as usize;
    let dir = PathBuf::from("/tmp/cutover-bench-backup");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let src = source(&dir, mb);
    let size = std::fs::metadata(&src).map(|m| m.len()).unwrap_or(0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let t = Instant::now();
    let _ = checkpoint::sha256_file(&src).expect("hash");
    eprintln!(
        "sha256 of the source alone: {:.3} s",
        t.elapsed().as_secs_f64()
    );
    let out = dir.join("copy.db");
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); METHODS.len()];
    for round in 0..rounds {
        for k in 0..METHODS.len() {
            let i = (round + k) % METHODS.len();
            let d = run(METHODS[i], &src, &out, &rt);
            times[i].push(d.as_secs_f64());
        }
        eprintln!("round {}/{rounds} done", round + 1);
    }
    // The last cutover copy must be a sound database with the recorded hash.
    run(Method::Cutover, &src, &out, &rt);
    let check = Command::new("sqlite3")
        .arg(&out)
        .arg("PRAGMA integrity_check")
        .output()
        .expect("sqlite3");
    let verdict = String::from_utf8_lossy(&check.stdout).trim().to_string();
    assert_eq!(verdict, "ok", "integrity_check of cutover's copy");
    clean(&out);

    println!(
        "durable SQLite backup of {:.0} MB, {rounds} rounds, medians (ratio to cp+sync):",
        size as f64 / (1u64 << 20) as f64
    );
    let base = median(&mut times[0].clone());
    for (i, m) in METHODS.iter().enumerate() {
        let med = median(&mut times[i]);
        println!(
            "  {:<16} {:>7.3} s  {:>5.2}x  ({:.0} MB/s)",
            name(*m),
            med,
            med / base,
            size as f64 / (1u64 << 20) as f64 / med
        );
    }
    println!("  cutover's copy: integrity_check ok");
}
