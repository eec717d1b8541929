//! Schema fingerprints, diffs and table statistics on real databases (SQLite always;
//! PostgreSQL and MariaDB with CUTOVER_TEST_PG_URL / CUTOVER_TEST_MYSQL_URL).
//!
//! Each item of a schema changed alone changes the fingerprint, and the diff names it;
//! the same schema reached by two routes gives one fingerprint; bookkeeping tables do not
//! count; checksums ignore row order and see one changed value.

mod common;

use common::*;
use cutover::db::schema::{self, Schema};
use cutover::sql::Dialect;

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

type Turn = fn(&mut Variant);

/// Every item the fingerprint covers, turned alone, with the diff line that names it.
fn items(b: Backend) -> Vec<(&'static str, Turn, &'static str)> {
    let mut items: Vec<(&'static str, Turn, &'static str)> = vec![
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
    if b == Backend::Postgres {
        items.extend([
            (
                "sequence",
                (|v| v.seq_start = 2000) as Turn,
                "~ sequence invoice_no",
            ),
            ("enum label", |v| v.happy = true, "~ enum mood"),
            (
                "function body",
                |v| v.fn_step = 2,
                "~ function plus(a integer)",
            ),
            // On PostgreSQL a trigger's body is its function's.
            ("trigger body", |v| v.trigger_step = 2, "~ function bump()"),
        ]);
    } else {
        items.push((
            "trigger",
            |v| v.trigger_step = 2,
            "~ trigger orders.trg_orders",
        ));
    }
    items
}

on_all_backends!(each_item_changed_alone_changes_the_fingerprint, |b| {
    let test = "each_item_changed_alone_changes_the_fingerprint";
    let Some(base_db) = build(b, &BASE, test) else {
        return;
    };
    let base = introspect(&base_db, &[]);
    assert!(base.tables.contains_key("users") && base.views.contains_key("big_orders"));
    // The same DDL in another database gives the same fingerprint.
    let again = build(b, &BASE, test).expect("second database");
    assert_eq!(introspect(&again, &[]).fingerprint(), base.fingerprint());
    for (what, turn, line) in items(b) {
        let mut v = BASE.clone();
        turn(&mut v);
        let db = build(b, &v, test).expect("database");
        let s = introspect(&db, &[]);
        assert_ne!(
            s.fingerprint(),
            base.fingerprint(),
            "changing the {what} left the fingerprint as it was"
        );
        let lines = schema::diff(&base, &s).lines();
        assert!(
            lines.iter().any(|l| l.contains(line)),
            "the diff for the {what} does not say {line:?}: {lines:?}"
        );
    }
});

/// One schema written two ways: route A creates everything at once; route B lists
/// columns in another order, adds one with ALTER TABLE, names the constraints the
/// backend would have named itself, and writes views and triggers in other case and
/// spacing.
fn route_a(b: Backend) -> String {
    let trigger = match b {
        Backend::Sqlite => "CREATE TRIGGER trg AFTER INSERT ON orders BEGIN UPDATE customers SET phone = NULL WHERE id = NEW.customer_id; END;",
        Backend::Postgres => "CREATE TRIGGER trg AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION clear_phone();",
        Backend::Mysql => "CREATE TRIGGER trg AFTER INSERT ON orders FOR EACH ROW UPDATE customers SET phone = NULL WHERE id = NEW.customer_id;",
    };
    format!(
        "{}CREATE TABLE customers (id INTEGER NOT NULL PRIMARY KEY, email VARCHAR(100) NOT NULL, phone VARCHAR(20), UNIQUE (email));
CREATE TABLE orders (id INTEGER NOT NULL PRIMARY KEY, customer_id INTEGER NOT NULL, total INTEGER DEFAULT 0, FOREIGN KEY (customer_id) REFERENCES customers (id));
CREATE INDEX idx_orders_customer ON orders (customer_id);
CREATE VIEW totals AS SELECT customer_id, SUM(total) AS total FROM orders GROUP BY customer_id;
{trigger}
",
        pg_function(b)
    )
}

fn route_b(b: Backend) -> String {
    let unique = match b {
        // SQLite cannot add a constraint to a table.
        Backend::Sqlite => "",
        Backend::Postgres => {
            "ALTER TABLE customers ADD CONSTRAINT uq_customers_email UNIQUE (email);"
        }
        Backend::Mysql => "ALTER TABLE customers ADD UNIQUE (email);",
    };
    let inline_unique = if b == Backend::Sqlite {
        ", UNIQUE (email)"
    } else {
        ""
    };
    let trigger = match b {
        Backend::Sqlite => "create   trigger trg after insert on orders\nbegin\n  update customers set phone=null where id=new.customer_id;\nend;",
        Backend::Postgres => "create trigger trg after insert on orders for each row execute procedure clear_phone();",
        Backend::Mysql => "create trigger trg after insert on orders for each row\n  update customers  set phone=null\n  where id=new.customer_id;",
    };
    format!(
        "{}create table customers (
    id integer not null primary key,
    email varchar(100) not null{inline_unique}
);
CREATE TABLE orders (total INTEGER DEFAULT 0, id INTEGER NOT NULL PRIMARY KEY, customer_id INTEGER NOT NULL,
    CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id));
ALTER TABLE customers ADD COLUMN phone VARCHAR(20);
{unique}
create index idx_orders_customer on orders(customer_id);
create view totals as
  select customer_id, sum(total) as total
  from orders
  group by customer_id;
{trigger}
",
        pg_function(b)
    )
}

fn pg_function(b: Backend) -> &'static str {
    if b == Backend::Postgres {
        "CREATE FUNCTION clear_phone() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE customers SET phone = NULL WHERE id = NEW.customer_id; RETURN NEW; END $$;\n"
    } else {
        ""
    }
}

on_all_backends!(the_same_schema_by_two_routes_has_one_fingerprint, |b| {
    let test = "the_same_schema_by_two_routes_has_one_fingerprint";
    let Some(a) = TestDb::new(b, test) else {
        return;
    };
    let route_b_db = TestDb::new(b, test).expect("second database");
    run(&a, &route_a(b));
    run(&route_b_db, &route_b(b));
    let (sa, sb) = (introspect(&a, &[]), introspect(&route_b_db, &[]));
    assert_eq!(
        sa.fingerprint(),
        sb.fingerprint(),
        "routes differ: {:?}\n{sa:#?}\n{sb:#?}",
        schema::diff(&sa, &sb).lines()
    );
    assert!(schema::diff(&sa, &sb).is_empty());
    // And the schema read back survives a JSON round trip (checkpoints store it so).
    let json = serde_json::to_string(&sa).expect("json");
    let back: Schema = serde_json::from_str(&json).expect("parse");
    assert_eq!(back.fingerprint(), sa.fingerprint());
});

on_all_backends!(bookkeeping_tables_do_not_count, |b| {
    let test = "bookkeeping_tables_do_not_count";
    let Some(db) = build(b, &BASE, test) else {
        return;
    };
    let skip = schema::bookkeeping_tables(cutover::source::Format::Flyway);
    let before = introspect(&db, &skip).fingerprint();
    for t in [
        "cutover_history",
        "cutover_decisions",
        "cutover_lock",
        "flyway_schema_history",
        "_sqlx_migrations",
        "schema_migrations",
        "goose_db_version",
    ] {
        run(
            &db,
            &format!("CREATE TABLE {t} (id INTEGER NOT NULL PRIMARY KEY)"),
        );
    }
    assert_ne!(
        introspect(&db, &[]).fingerprint(),
        before,
        "the tables are read when nothing is skipped"
    );
    assert_eq!(introspect(&db, &skip).fingerprint(), before);
    // A user's table with a name near a tool's still counts.
    run(
        &db,
        "CREATE TABLE changes (id INTEGER NOT NULL PRIMARY KEY)",
    );
    assert_ne!(introspect(&db, &skip).fingerprint(), before);
});

// `status` shows the fingerprint of what the files made, without cutover's and the
// tool's tables: the same as a database made by the same SQL with no cutover at all.
// Rolled back to before a file, the schema matches the checkpoint taken before it.
on_all_backends!(
    status_shows_the_fingerprint_and_the_checkpoint_it_matches,
    |b| {
        let test = "status_shows_the_fingerprint";
        let Some(db) = TestDb::new(b, test) else {
            return;
        };
        let plain = TestDb::new(b, test).expect("second database");
        let first = "CREATE TABLE customers (id INTEGER NOT NULL PRIMARY KEY, email VARCHAR(100) NOT NULL);\n";
        let second = "CREATE TABLE orders (id INTEGER NOT NULL PRIMARY KEY, customer_id INTEGER NOT NULL);\nCREATE INDEX idx_orders_customer ON orders (customer_id);\n";
        write_files(
            &db.migrations_dir(),
            &[
                ("0001_customers.up.sql", first),
                ("0001_customers.down.sql", "DROP TABLE customers;\n"),
                ("0002_orders.up.sql", second),
                ("0002_orders.down.sql", "DROP TABLE orders;\n"),
            ],
        );
        db.write_plan("\n[checkpoints]\nbackup = \"none\"\n");
        let out = cutover(db.dir.path(), &["apply"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        run(&plain, first);
        let before_second = introspect(&plain, &[]).fingerprint();
        run(&plain, second);
        let expected = introspect(&plain, &[]).fingerprint();

        let status = |args: &[&str]| {
            let out = cutover(db.dir.path(), args);
            assert_eq!(out.status.code(), Some(0), "{}", text(&out));
            out
        };
        let v: serde_json::Value =
            serde_json::from_slice(&status(&["status", "--json"]).stdout).expect("json");
        assert_eq!(v["fingerprint"], expected.as_str());
        // Checkpoints are taken before files: nothing was recorded of the state after the last.
        assert_eq!(v["checkpoint_match"], serde_json::Value::Null, "{v}");
        let out = text(&status(&["status"]));
        assert!(
            out.contains(&format!(
                "schema fingerprint {} (matches no checkpoint)",
                &expected[..12]
            )),
            "{out}"
        );

        let out = cutover(db.dir.path(), &["rollback", "--file", "0002", "--yes"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let v: serde_json::Value =
            serde_json::from_slice(&status(&["status", "--json"]).stdout).expect("json");
        assert_eq!(v["fingerprint"], before_second.as_str(), "{v}");
        assert_eq!(v["checkpoint_match"]["version"], "0002", "{v}");
        let id = v["checkpoint_match"]["id"].as_i64().expect("id");
        let out = text(&status(&["status"]));
        assert!(
            out.contains(&format!(
                "schema fingerprint {}, matches checkpoint #{id} (before 0002)",
                &before_second[..12]
            )),
            "{out}"
        );
    }
);

fn stats_of(db: &TestDb, limit: u64) -> std::collections::BTreeMap<String, schema::TableStat> {
    stats(db, limit)
        .into_iter()
        .map(|s| (s.table.clone(), s))
        .collect()
}

on_all_backends!(checksums_ignore_row_order_and_see_one_value, |b| {
    let test = "checksums_ignore_row_order_and_see_one_value";
    let Some(db) = TestDb::new(b, test) else {
        return;
    };
    let real = if b == Backend::Postgres {
        "DOUBLE PRECISION"
    } else {
        "REAL"
    };
    let rows: Vec<String> = (1..=50)
        .map(|i| {
            let note = if i % 7 == 0 {
                "NULL".to_string()
            } else {
                format!("'note {i}'")
            };
            format!("({i}, 'name {i}', {note}, {}, {}.5)", i * 3, i)
        })
        .collect();
    let mut sql = String::new();
    // `b` lists its columns in another order and gets the rows in reverse order.
    sql.push_str(&format!("CREATE TABLE a (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(20), note VARCHAR(20), n INTEGER, x {real});\n"));
    sql.push_str(&format!("CREATE TABLE b (x {real}, n INTEGER, note VARCHAR(20), name VARCHAR(20), id INTEGER NOT NULL PRIMARY KEY);\n"));
    for t in ["c", "d", "e"] {
        sql.push_str(&format!("CREATE TABLE {t} (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(20), note VARCHAR(20), n INTEGER, x {real});\n"));
    }
    for r in &rows {
        for t in ["a", "c", "d", "e"] {
            sql.push_str(&format!(
                "INSERT INTO {t} (id, name, note, n, x) VALUES {r};\n"
            ));
        }
    }
    for r in rows.iter().rev() {
        sql.push_str(&format!(
            "INSERT INTO b (id, name, note, n, x) VALUES {r};\n"
        ));
    }
    // c: one value changed; d: a NULL became ''; e: updated and put back (new row
    // versions, another physical layout).
    sql.push_str("UPDATE c SET n = n + 1 WHERE id = 17;\n");
    sql.push_str("UPDATE d SET note = '' WHERE id = 14;\n");
    sql.push_str("UPDATE e SET name = 'other' WHERE id <= 10;\nUPDATE e SET name = CONCAT('name ', id) WHERE id <= 10;\n".replace("CONCAT('name ', id)", if b == Backend::Sqlite { "'name ' || id" } else { "CONCAT('name ', id)" }).as_str());
    run(&db, &sql);
    let st = stats_of(&db, 1_000_000);
    let sum = |t: &str| st[t].checksum.clone().expect("checksum under the limit");
    assert!(st.values().all(|s| s.rows == 50), "{st:?}");
    assert_eq!(
        sum("a"),
        sum("b"),
        "row order and column order do not count"
    );
    assert_eq!(sum("a"), sum("e"), "physical layout does not count");
    assert_ne!(sum("a"), sum("c"), "one changed value counts");
    assert_ne!(sum("a"), sum("d"), "NULL and '' differ");
    // Taken again, the same.
    assert_eq!(stats_of(&db, 1_000_000)["a"], st["a"]);
    // Above the limit: the count only.
    let capped = stats_of(&db, 49);
    assert_eq!(capped["a"].rows, 50);
    assert_eq!(capped["a"].checksum, None);
    let counts = stats_of(&db, 0);
    assert_eq!(
        (counts["a"].rows, &counts["a"].checksum),
        (50, &None),
        "limit 0: counts only"
    );
    let at = stats_of(&db, 50);
    assert_eq!(
        at["a"].checksum, st["a"].checksum,
        "a table at the limit gets its checksum"
    );
});
