//! Schema fingerprints, diffs and table statistics on real databases (SQLite always;
//! PostgreSQL and MariaDB with CUTOVER_TEST_PG_URL / CUTOVER_TEST_MYSQL_URL).
//!
//! Each item of a schema changed alone changes the fingerprint, and the diff names it;
//! the same schema reached by two routes gives one fingerprint; bookkeeping tables do not
//! count; checksums ignore row order and see one changed value.

mod common;

use common::{block_on, Backend, TestDb};
use cutover::db::schema::{self, Schema};
use cutover::sql::Dialect;

const BACKENDS: [Backend; 3] = [Backend::Sqlite, Backend::Postgres, Backend::Mysql];

fn dialect(b: Backend) -> Dialect {
    match b {
        Backend::Sqlite => Dialect::Sqlite,
        Backend::Postgres => Dialect::Postgres,
        Backend::Mysql => Dialect::Mysql,
    }
}

/// Runs a script statement by statement, as the engine splits it.
fn run(db: &TestDb, sql: &str) {
    block_on(async {
        let mut c = cutover::db::connect(&db.info()).await.expect("connect").0;
        for s in cutover::sql::split(sql, dialect(db.backend)) {
            c.execute(&s.sql)
                .await
                .unwrap_or_else(|f| panic!("{}: {}", s.sql, f.message));
        }
        c.close().await;
    })
}

fn introspect(db: &TestDb, skip: &[String]) -> Schema {
    block_on(async {
        let mut c = cutover::db::connect(&db.info()).await.expect("connect").0;
        let s = schema::introspect(&mut c, skip).await.expect("introspect");
        c.close().await;
        s
    })
}

fn stats(db: &TestDb, limit: u64) -> Vec<schema::TableStat> {
    block_on(async {
        let mut c = cutover::db::connect(&db.info()).await.expect("connect").0;
        let s = schema::introspect(&mut c, &[]).await.expect("introspect");
        let st = schema::table_stats(&mut c, &s, limit).await.expect("stats");
        c.close().await;
        st
    })
}

/// The knobs of one schema; each test variant turns exactly one.
#[derive(Clone)]
struct Variant {
    name_type: &'static str,
    name_not_null: bool,
    score_default: &'static str,
    nickname: bool,
    legacy: bool,
    index: bool,
    email_unique: bool,
    fk_cascade: bool,
    view_min: u32,
    trigger_step: u32,
    // PostgreSQL only.
    seq_start: u32,
    happy: bool,
    fn_step: u32,
}

const BASE: Variant = Variant {
    name_type: "VARCHAR(50)",
    name_not_null: false,
    score_default: "0",
    nickname: false,
    legacy: true,
    index: true,
    email_unique: false,
    fk_cascade: false,
    view_min: 100,
    trigger_step: 1,
    seq_start: 1000,
    happy: false,
    fn_step: 1,
};

fn ddl(b: Backend, v: &Variant) -> String {
    let mut users = vec![
        "id INTEGER PRIMARY KEY".to_string(),
        "email VARCHAR(100) NOT NULL".to_string(),
        format!(
            "name {}{}",
            v.name_type,
            if v.name_not_null { " NOT NULL" } else { "" }
        ),
        format!("score INTEGER DEFAULT {}", v.score_default),
    ];
    if v.nickname {
        users.push("nickname VARCHAR(20)".into());
    }
    if v.legacy {
        users.push("legacy INTEGER".into());
    }
    if v.email_unique {
        users.push("UNIQUE (email)".into());
    }
    let mut sql = format!("CREATE TABLE users ({});\n", users.join(", "));
    sql.push_str(&format!(
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER, total INTEGER, \
         FOREIGN KEY (user_id) REFERENCES users (id){});\n",
        if v.fk_cascade {
            " ON DELETE CASCADE"
        } else {
            ""
        }
    ));
    if v.index {
        sql.push_str("CREATE INDEX idx_orders_total ON orders (total);\n");
    }
    sql.push_str(&format!(
        "CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > {};\n",
        v.view_min
    ));
    let step = v.trigger_step;
    let bump = format!("UPDATE users SET score = score + {step} WHERE id = NEW.user_id");
    match b {
        Backend::Sqlite => sql.push_str(&format!(
            "CREATE TRIGGER trg_orders AFTER INSERT ON orders BEGIN {bump}; END;\n"
        )),
        Backend::Mysql => sql.push_str(&format!(
            "CREATE TRIGGER trg_orders AFTER INSERT ON orders FOR EACH ROW {bump};\n"
        )),
        Backend::Postgres => {
            sql.push_str(&format!(
                "CREATE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {bump}; RETURN NEW; END $$;\n\
                 CREATE TRIGGER trg_orders AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION bump();\n\
                 CREATE SEQUENCE invoice_no START {};\n\
                 CREATE TYPE mood AS ENUM ('sad', 'ok'{});\n\
                 CREATE FUNCTION plus(a integer) RETURNS integer LANGUAGE sql AS 'SELECT a + {}';\n",
                v.seq_start,
                if v.happy { ", 'happy'" } else { "" },
                v.fn_step
            ));
        }
    }
    sql
}

/// A fresh database holding the variant's schema.
fn build(b: Backend, v: &Variant, test: &str) -> Option<TestDb> {
    let db = TestDb::new(b, test)?;
    run(&db, &ddl(b, v));
    Some(db)
}

#[test]
fn each_item_changed_alone_changes_the_fingerprint_and_the_diff_names_it() {
    type Turn = fn(&mut Variant);
    let mut items: Vec<(&str, Turn, &str)> = vec![
        (
            "column type",
            |v| v.name_type = "VARCHAR(80)",
            "~ column users.name",
        ),
        (
            "nullability",
            |v| v.name_not_null = true,
            "~ column users.name",
        ),
        ("default", |v| v.score_default = "1", "~ column users.score"),
        (
            "added column",
            |v| v.nickname = true,
            "+ column users.nickname",
        ),
        (
            "dropped column",
            |v| v.legacy = false,
            "- column users.legacy",
        ),
        (
            "index",
            |v| v.index = false,
            "- index orders.idx_orders_total",
        ),
        ("unique", |v| v.email_unique = true, "users"),
        (
            "foreign key",
            |v| v.fk_cascade = true,
            "foreign key orders(user_id)",
        ),
        ("view", |v| v.view_min = 200, "~ view big_orders"),
    ];
    let pg_items: Vec<(&str, Turn, &str)> = vec![
        ("sequence", |v| v.seq_start = 2000, "~ sequence invoice_no"),
        ("enum label", |v| v.happy = true, "~ enum mood"),
        (
            "function body",
            |v| v.fn_step = 2,
            "~ function plus(a integer)",
        ),
        // On PostgreSQL the trigger's body is its function's.
        ("trigger body", |v| v.trigger_step = 2, "~ function bump()"),
    ];
    for b in BACKENDS {
        let test = "each_item_changes_the_fingerprint";
        let Some(base_db) = build(b, &BASE, test) else {
            continue;
        };
        let base = introspect(&base_db, &[]);
        // The same DDL again gives the same fingerprint.
        let again = build(b, &BASE, test).expect("second database");
        assert_eq!(
            introspect(&again, &[]).fingerprint(),
            base.fingerprint(),
            "{b:?}"
        );
        let mut all = items.clone();
        if b == Backend::Postgres {
            all.extend(pg_items.iter().cloned());
        } else {
            all.push((
                "trigger",
                |v| v.trigger_step = 2,
                "~ trigger orders.trg_orders",
            ));
        }
        for (what, turn, line) in all {
            let mut v = BASE.clone();
            turn(&mut v);
            let db = build(b, &v, test).expect("database");
            let s = introspect(&db, &[]);
            assert_ne!(
                s.fingerprint(),
                base.fingerprint(),
                "{b:?}: changing the {what} left the fingerprint as it was"
            );
            let lines = schema::diff(&base, &s).lines();
            assert!(
                lines.iter().any(|l| l.contains(line)),
                "{b:?}: the diff for the {what} does not say {line:?}: {lines:?}"
            );
        }
    }
    items.clear();
}
