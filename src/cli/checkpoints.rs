//! `cutover checkpoints [list|verify]`: the target's checkpoints from the state database,
//! and a re-check of every backup's sha256.

use super::{workspace, Global};
use crate::checkpoint::{self, Checkpoint, Store};
use crate::report::exit;
use crate::text::fit;
use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub struct CheckpointsArgs {
    #[command(subcommand)]
    pub action: Option<Action>,
}

#[derive(Debug, Subcommand, Clone, Copy)]
pub enum Action {
    /// Every checkpoint of the target: id, file, time, fingerprint, backup, status (the default)
    List,
    /// Re-read every backup and check its sha256: exit 2 if one is missing or corrupt
    Verify,
}

pub async fn run(global: &Global, args: CheckpointsArgs) -> i32 {
    let (ws, target) = match workspace::load(global) {
        Ok(w) => w,
        Err(e) => {
            super::print_error(&e);
            return exit::CANNOT_RUN;
        }
    };
    let base = &ws.plan.base_dir;
    if !base.join(".cutover").join("state.db").exists() {
        outln!(
            "no checkpoints for {}: nothing has been applied from this plan's folder yet",
            target.display
        );
        return exit::OK;
    }
    let store = match Store::open(base).await {
        Ok(s) => s,
        Err(e) => {
            super::print_error(&e);
            return exit::CANNOT_RUN;
        }
    };
    let all = match store.list(&target.display).await {
        Ok(l) => l,
        Err(e) => {
            super::print_error(&e);
            return exit::CANNOT_RUN;
        }
    };
    match args.action.unwrap_or(Action::List) {
        Action::List => list(&store, &all, &target.display).await,
        Action::Verify => verify(&all).await,
    }
}

fn size(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

async fn list(store: &Store, all: &[Checkpoint], target: &str) -> i32 {
    if all.is_empty() {
        outln!("no checkpoints for {target}");
        return exit::OK;
    }
    let open = store.open_window(target).await.ok().flatten();
    outln!(
        "checkpoints of {target}{}",
        match &open {
            Some(w) => format!(" (window #{} open since {})", w.id, w.opened_at),
            None => " (no window open)".to_string(),
        }
    );
    outln!(
        "{:>5} {:>6}  {:<16} {:<24} {:<12} {:<11} {:<10} {:<12} STATUS",
        "ID",
        "WINDOW",
        "BEFORE",
        "TAKEN AT",
        "FINGERPRINT",
        "BACKUP",
        "SIZE",
        "SHA256"
    );
    for c in all {
        let (tool, sz, sha) = match &c.backup {
            Some(b) => (
                b.tool.clone(),
                size(b.size),
                checkpoint::short(&b.sha256).to_string(),
            ),
            None => ("-".into(), "-".into(), "-".into()),
        };
        outln!(
            "{:>5} {:>6}  {:<16} {:<24} {:<12} {:<11} {:<10} {:<12} {}{}",
            c.id,
            c.window,
            fit(c.version.as_deref().unwrap_or("window start"), 16),
            c.created_at,
            checkpoint::short(&c.fingerprint),
            fit(&tool, 11),
            sz,
            sha,
            c.status.as_str(),
            c.detail
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        );
    }
    exit::OK
}

async fn verify(all: &[Checkpoint]) -> i32 {
    // One file may back several checkpoints (taken of the same state): read it once.
    let mut seen = std::collections::BTreeMap::new();
    for c in all {
        if let Some(b) = &c.backup {
            seen.entry(b.path.clone())
                .or_insert_with(|| (b.clone(), Vec::new()))
                .1
                .push(c.id);
        }
    }
    if seen.is_empty() {
        outln!("no backups to verify");
        return exit::OK;
    }
    let mut bad = 0;
    for (path, (b, ids)) in seen {
        let ids = ids
            .iter()
            .map(|i| format!("#{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let checked = tokio::task::spawn_blocking(move || checkpoint::verify_backup(&b)).await;
        match checked {
            Ok(Ok(())) => outln!("  ok       {} (checkpoint {ids})", path.display()),
            Ok(Err(e)) => {
                bad += 1;
                let first = e.to_string();
                let first = first.lines().next().unwrap_or_default().to_string();
                outln!("  FAILED   checkpoint {ids}: {first}");
            }
            Err(e) => {
                bad += 1;
                outln!("  FAILED   {}: {e}", path.display());
            }
        }
    }
    if bad > 0 {
        errln!(
            "error: {bad} backup(s) missing or corrupt: a rollback that needs them cannot restore\n  hint: take a new checkpoint by closing the window (`cutover close`) and applying again, or restore from your own backups"
        );
        return exit::CANNOT_RUN;
    }
    outln!("every backup matches its recorded sha256");
    exit::OK
}
