//! `cutover demo`: a throwaway copy of the demo shop on SQLite, migrated in three
//! batches. Everything it needs is embedded in the binary, so it runs from any folder.

use super::{apply, Global};
use clap::Args;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// The demo's migrations, embedded at build time.
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_baseline.down.sql",
        include_str!("../../assets/demo/migrations/0001_baseline.down.sql"),
    ),
    (
        "0001_baseline.up.sql",
        include_str!("../../assets/demo/migrations/0001_baseline.up.sql"),
    ),
    (
        "0002_add_customer_phone.down.sql",
        include_str!("../../assets/demo/migrations/0002_add_customer_phone.down.sql"),
    ),
    (
        "0002_add_customer_phone.up.sql",
        include_str!("../../assets/demo/migrations/0002_add_customer_phone.up.sql"),
    ),
    (
        "0003_index_orders_customer.down.sql",
        include_str!("../../assets/demo/migrations/0003_index_orders_customer.down.sql"),
    ),
    (
        "0003_index_orders_customer.up.sql",
        include_str!("../../assets/demo/migrations/0003_index_orders_customer.up.sql"),
    ),
    (
        "0004_add_product_active.down.sql",
        include_str!("../../assets/demo/migrations/0004_add_product_active.down.sql"),
    ),
    (
        "0004_add_product_active.up.sql",
        include_str!("../../assets/demo/migrations/0004_add_product_active.up.sql"),
    ),
    (
        "0005_order_statuses.down.sql",
        include_str!("../../assets/demo/migrations/0005_order_statuses.down.sql"),
    ),
    (
        "0005_order_statuses.up.sql",
        include_str!("../../assets/demo/migrations/0005_order_statuses.up.sql"),
    ),
    (
        "0006_backfill_order_totals.down.sql",
        include_str!("../../assets/demo/migrations/0006_backfill_order_totals.down.sql"),
    ),
    (
        "0006_backfill_order_totals.up.sql",
        include_str!("../../assets/demo/migrations/0006_backfill_order_totals.up.sql"),
    ),
    (
        "0007_customer_totals_view.down.sql",
        include_str!("../../assets/demo/migrations/0007_customer_totals_view.down.sql"),
    ),
    (
        "0007_customer_totals_view.up.sql",
        include_str!("../../assets/demo/migrations/0007_customer_totals_view.up.sql"),
    ),
    (
        "0008_split_customer_names.down.sql",
        include_str!("../../assets/demo/migrations/0008_split_customer_names.down.sql"),
    ),
    (
        "0008_split_customer_names.up.sql",
        include_str!("../../assets/demo/migrations/0008_split_customer_names.up.sql"),
    ),
    (
        "0009_daily_revenue.down.sql",
        include_str!("../../assets/demo/migrations/0009_daily_revenue.down.sql"),
    ),
    (
        "0009_daily_revenue.up.sql",
        include_str!("../../assets/demo/migrations/0009_daily_revenue.up.sql"),
    ),
    (
        "0010_orders_status_fk.down.sql",
        include_str!("../../assets/demo/migrations/0010_orders_status_fk.down.sql"),
    ),
    (
        "0010_orders_status_fk.up.sql",
        include_str!("../../assets/demo/migrations/0010_orders_status_fk.up.sql"),
    ),
];

const PLAN: &str = include_str!("../../sample-configs/demo.toml");

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to make the demo (default: a new folder under the system's temp dir)
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Apply the demo with plain output instead of opening the cockpit
    /// (the default when there is no terminal)
    #[arg(long)]
    pub headless: bool,
}

/// Writes the demo plan and migrations into `dir`; returns the plan's path.
pub fn prepare(dir: &Path) -> std::io::Result<PathBuf> {
    let mig = dir.join("migrations");
    std::fs::create_dir_all(&mig)?;
    for (name, text) in MIGRATIONS {
        std::fs::write(mig.join(name), text)?;
    }
    let plan = PLAN
        .replace(
            "dir = \"../assets/demo/migrations\"",
            "dir = \"migrations\"",
        )
        .replace(
            "${CUTOVER_DEMO_URL:-sqlite://demo-shop.db}",
            "sqlite://shop.db",
        );
    let path = dir.join("cutover.toml");
    std::fs::write(&path, plan)?;
    Ok(path)
}

fn fresh_dir() -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
    std::env::temp_dir().join(format!("cutover-demo-{stamp}-{}", std::process::id()))
}

pub async fn run(global: &Global, args: DemoArgs) -> i32 {
    let dir = args.dir.unwrap_or_else(fresh_dir);
    if dir.join("shop.db").exists() {
        super::print_error(&format!(
            "{} already holds a demo database\n  hint: pass another --dir, or delete that folder",
            dir.display()
        ));
        return crate::report::exit::CANNOT_RUN;
    }
    let plan = match prepare(&dir) {
        Ok(p) => p,
        Err(e) => {
            super::print_error(&format!(
                "cannot write the demo into {}: {e}",
                dir.display()
            ));
            return crate::report::exit::CANNOT_RUN;
        }
    };
    outln!(
        "demo: {} (a throwaway copy; delete the folder when done)",
        dir.display()
    );
    let global = Global {
        plan: Some(plan),
        ..global.clone()
    };
    let terminal = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    if args.headless || !terminal {
        apply::run(&global, apply::ApplyArgs::default()).await
    } else {
        super::tui::run(&global).await
    }
}
