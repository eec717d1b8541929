//! Real projects' migration folders (tests/fixtures/real/<format>-<project>/, each with a
//! SOURCE.md naming the repository, commits and licence) applied with `cutover apply` on the
//! backend their SQL is written for, through a plan with no batches; a second run applies
//! nothing.

mod common;
use common::*;

use std::fs;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real")
        .join(name)
}

/// Copies `src` into `dst` recursively, leaving out the fixture's own SOURCE.md so the
/// folder is the project's folder and nothing more.
fn copy_dir(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).expect("mkdir");
    for entry in fs::read_dir(src).expect("read fixture dir") {
        let entry = entry.expect("dir entry");
        let path = entry.path();
        let target = dst.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else if entry.file_name() != "SOURCE.md" {
            fs::copy(&path, &target).expect("copy fixture file");
        }
    }
}

/// Applies the fixture folder on `backend` as `format`, checks that `migrations` files were
/// recorded as applied, runs `check`, then applies again and expects nothing to do.
fn apply_real(
    backend: Backend,
    name: &str,
    format: &str,
    migrations: i64,
    before: impl Fn(&TestDb),
    check: impl Fn(&TestDb),
) {
    let Some(db) = TestDb::new(backend, name) else {
        return;
    };
    copy_dir(&fixture(name), &db.dir.path().join("migrations"));
    db.write_plan(&format!("format = \"{format}\"\n"));
    before(&db);

    let first = cutover(db.dir.path(), &["apply"]);
    let out = text(&first);
    assert_eq!(first.status.code(), Some(0), "{name} first apply:\n{out}");
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM cutover_history WHERE status = 'applied'"),
        migrations,
        "{name}: applied rows\n{out}"
    );
    check(&db);

    let second = cutover(db.dir.path(), &["apply"]);
    let out2 = text(&second);
    assert_eq!(
        second.status.code(),
        Some(0),
        "{name} second apply:\n{out2}"
    );
    assert!(
        out2.contains("nothing to apply"),
        "{name} second apply:\n{out2}"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM cutover_history WHERE status = 'applied'"),
        migrations,
        "{name}: applied rows after the second run"
    );
}

fn nothing(_: &TestDb) {}

fn assert_tables(db: &TestDb, tables: &[&str]) {
    for t in tables {
        assert!(db.has_table(t), "table {t} missing");
    }
}

fn pg_function_def(db: &TestDb, regproc: &str) -> String {
    db.strings(&format!("SELECT pg_get_functiondef('{regproc}'::regproc)"))
        .concat()
}

fn sqlite_triggers(db: &TestDb) -> Vec<String> {
    db.strings("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
}

fn mysql_routines(db: &TestDb) -> Vec<String> {
    db.strings(
        "SELECT CONCAT(routine_type, ' ', routine_name) FROM information_schema.routines \
         WHERE routine_schema = DATABASE() ORDER BY routine_name",
    )
}

// ---------------------------------------------------------------- sqlx

#[test]
fn sqlx_zero2prod_postgres() {
    apply_real(
        Backend::Postgres,
        "sqlx-zero2prod",
        "sqlx",
        13,
        nothing,
        |db| {
            assert_tables(
                db,
                &[
                    "subscriptions",
                    "subscription_tokens",
                    "users",
                    "idempotency",
                    "newsletter_issues",
                    "issue_delivery_queue",
                ],
            );
            // The file that carries its own BEGIN/COMMIT did its work.
            assert_eq!(
                db.scalar(
                    "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = \
                     'subscriptions' AND column_name = 'status' AND is_nullable = 'NO'"
                ),
                1
            );
            // `$argon2id$v=19$...` inside a string literal arrives intact.
            assert_eq!(
                db.strings("SELECT password_hash FROM users WHERE username = 'admin'"),
                vec!["$argon2id$v=19$m=15000,t=2,p=1$OEx/rcq+3ts//WUDzGNl2g$Am8UFBA4w5NJEmAtquGvBmAlu92q/VQcaoL5AyJPfc8".to_string()]
            );
        },
    );
}

#[test]
fn sqlx_atuin_server_sqlite() {
    apply_real(
        Backend::Sqlite,
        "sqlx-atuin-server-sqlite",
        "sqlx",
        5,
        nothing,
        |db| {
            assert_tables(
                db,
                &[
                    "sessions",
                    "users",
                    "history",
                    "total_history_count_user",
                    "records",
                ],
            );
            assert_eq!(sqlite_triggers(db), vec!["tg_user_history_count"]);
            // The trigger body (with its inner semicolon) was created whole and works.
            db.exec("INSERT INTO users (username, email, password) VALUES ('a', 'a@x', 'p')");
            db.exec(
                "INSERT INTO history (client_id, user_id, hostname, timestamp, data) \
                 VALUES ('c1', 1, 'h', 1, x'00')",
            );
            db.exec(
                "INSERT INTO history (client_id, user_id, hostname, timestamp, data) \
                 VALUES ('c2', 1, 'h', 2, x'00')",
            );
            assert_eq!(
                db.scalar("SELECT total FROM total_history_count_user WHERE user_id = 1"),
                2
            );
        },
    );
}

#[test]
fn sqlx_no_transaction_vacuum_sqlite() {
    apply_real(
        Backend::Sqlite,
        "sqlx-sqlx-no-tx-sqlite",
        "sqlx",
        1,
        nothing,
        nothing,
    );
}

// ---------------------------------------------------------------- diesel

#[test]
fn diesel_actix_jwt_postgres() {
    apply_real(
        Backend::Postgres,
        "diesel-actix-jwt-pg",
        "diesel",
        5,
        nothing,
        |db| {
            assert_tables(db, &["people", "users", "login_history"]);
            assert!(pg_function_def(db, "diesel_manage_updated_at").contains("EXECUTE format("));
            assert!(pg_function_def(db, "diesel_set_updated_at").contains("current_timestamp"));
            assert_eq!(
                db.scalar(
                    "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = \
                     'users' AND column_name = 'login_session'"
                ),
                1
            );
        },
    );
}

#[test]
fn diesel_relations_sqlite() {
    apply_real(
        Backend::Sqlite,
        "diesel-relations-sqlite",
        "diesel",
        4,
        nothing,
        |db| assert_tables(db, &["books", "pages", "authors", "books_authors"]),
    );
}

// ---------------------------------------------------------------- golang-migrate

#[test]
fn golang_migrate_todo_api_postgres() {
    apply_real(
        Backend::Postgres,
        "golang-migrate-todo-api-pg",
        "golang-migrate",
        2,
        nothing,
        |db| {
            assert_tables(db, &["tasks"]);
            assert_eq!(
                db.strings("SELECT column_default::text FROM information_schema.columns WHERE table_name = 'tasks' AND column_name = 'id'"),
                vec!["gen_random_uuid()".to_string()]
            );
            assert_eq!(
                db.scalar("SELECT COUNT(*) FROM pg_extension WHERE extname = 'uuid-ossp'"),
                0
            );
            assert_eq!(
                db.scalar("SELECT COUNT(*) FROM pg_type WHERE typname = 'priority'"),
                1
            );
        },
    );
}

// ---------------------------------------------------------------- dbmate

#[test]
fn dbmate_haskell_graphql_postgres() {
    apply_real(
        Backend::Postgres,
        "dbmate-haskell-graphql-pg",
        "dbmate",
        2,
        nothing,
        |db| {
            assert_tables(db, &["users"]);
            assert!(pg_function_def(db, "update_timestamp").contains("NEW.updated_at = now()"));
            assert_eq!(
                db.scalar("SELECT COUNT(*) FROM pg_trigger WHERE tgname = 'users_updated_at'"),
                1
            );
            // Only the up sections ran: the down sections would have dropped both.
        },
    );
}

// ---------------------------------------------------------------- Flyway

#[test]
fn flyway_conductor_mysql() {
    apply_real(
        Backend::Mysql,
        "flyway-conductor-mysql",
        "flyway",
        7,
        nothing,
        |db| {
            assert_tables(
                db,
                &[
                    "meta_event_handler",
                    "meta_task_def",
                    "meta_workflow_def",
                    "event_execution",
                    "poll_data",
                    "task",
                    "workflow",
                    "queue",
                    "queue_message",
                ],
            );
            // V3: the column added by a prepared statement built from user variables.
            assert_eq!(
                db.scalar(
                    "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = \
                     DATABASE() AND table_name = 'queue_message' AND column_name = 'priority'"
                ),
                1
            );
            // V7: id dropped, primary key moved to (queue_name, message_id).
            assert_eq!(
                db.strings(
                    "SELECT column_name FROM information_schema.key_column_usage WHERE \
                     table_schema = DATABASE() AND table_name = 'queue_message' AND \
                     constraint_name = 'PRIMARY' ORDER BY ordinal_position"
                ),
                vec!["queue_name".to_string(), "message_id".to_string()]
            );
            // V4: the unique index now covers execution_id.
            assert_eq!(
                db.scalar(
                    "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = \
                     DATABASE() AND table_name = 'event_execution' AND index_name = \
                     'unique_event_execution' AND column_name = 'execution_id'"
                ),
                1
            );
            // V5, V6: indexes created after the conditional drops.
            assert_eq!(
                db.scalar(
                    "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = \
                     DATABASE() AND index_name IN ('workflow_corr_id_index', \
                     'combo_queue_message') AND seq_in_index = 1"
                ),
                2
            );
        },
    );
}

// ---------------------------------------------------------------- Sqitch

#[test]
fn sqitch_flipr_postgres() {
    apply_real(
        Backend::Postgres,
        "sqitch-flipr-pg",
        "sqitch",
        13,
        nothing,
        |db| {
            assert_eq!(
                db.strings(
                    "SELECT table_name::text FROM information_schema.tables WHERE table_schema = \
                     'flipr' ORDER BY table_name"
                ),
                vec!["flips", "lists", "users"]
            );
            assert_eq!(
                db.scalar("SELECT COUNT(*) FROM pg_extension WHERE extname = 'pgcrypto'"),
                1
            );
            // The reworked changes ran in plan order: the pgcrypto versions are in place.
            assert!(pg_function_def(db, "flipr.insert_user").contains("crypt($2, gen_salt('md5'))"));
            assert!(pg_function_def(db, "flipr.change_pass").contains("crypt($3, gen_salt('md5'))"));
            for f in [
                "flipr.insert_list",
                "flipr.delete_list",
                "flipr.insert_flip",
                "flipr.delete_flip",
            ] {
                assert!(!pg_function_def(db, f).is_empty(), "{f}");
            }
            db.exec("SELECT flipr.insert_user('marge', 'secret')");
            assert_eq!(
                db.scalar(
                    "SELECT COUNT(*) FROM flipr.users WHERE password = crypt('secret', password)"
                ),
                1
            );
        },
    );
}

fn drop_flipr_user(db: &TestDb) {
    db.exec("DROP USER IF EXISTS flipr");
    // Sqitch's MariaDB registry is server-wide (a `sqitch` database), and cutover keeps
    // it as Sqitch would: a run that left it would make the next one adopt flipr's
    // changes as applied and apply nothing. Only this test writes it in this binary.
    db.exec("DROP DATABASE IF EXISTS sqitch");
}

#[test]
fn sqitch_flipr_mysql() {
    apply_real(
        Backend::Mysql,
        "sqitch-flipr-mysql",
        "sqitch",
        4,
        drop_flipr_user,
        |db| {
            assert_tables(db, &["users"]);
            assert_eq!(
                mysql_routines(db),
                vec!["FUNCTION change_pass", "PROCEDURE insert_user"]
            );
            db.exec("CALL insert_user('marge', 'secret')");
            assert_eq!(
                db.scalar("SELECT CAST(change_pass('marge', 'secret', 'better') AS SIGNED)"),
                1
            );
            drop_flipr_user(db);
        },
    );
}

#[test]
fn sqitch_flipr_sqlite() {
    apply_real(
        Backend::Sqlite,
        "sqitch-flipr-sqlite",
        "sqitch",
        5,
        nothing,
        |db| {
            assert_tables(db, &["users", "flips", "lists", "hashtags"]);
            assert_eq!(
                db.scalar(
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'view' AND name = 'userflips'"
                ),
                1
            );
        },
    );
}

// ---------------------------------------------------------------- Drizzle

/// The rows in drizzle's table that hold a hash and a `created_at`.
fn drizzle_rows(db: &TestDb, table: &str) -> i64 {
    db.scalar(&format!(
        "SELECT COUNT(*) FROM {table} WHERE created_at IS NOT NULL AND hash <> ''"
    ))
}

#[test]
fn drizzle_ai_chatbot_postgres() {
    apply_real(
        Backend::Postgres,
        "drizzle-ai-chatbot-pg",
        "drizzle",
        9,
        nothing,
        |db| {
            assert_tables(
                db,
                &[
                    "User",
                    "Chat",
                    "Message_v2",
                    "Vote_v2",
                    "Document",
                    "Suggestion",
                    "Stream",
                ],
            );
            assert_eq!(drizzle_rows(db, "drizzle.__drizzle_migrations"), 9);
            // A `DO $$ ... EXCEPTION ... END $$` block created its foreign key.
            assert_eq!(
                db.scalar(
                    "SELECT COUNT(*) FROM pg_constraint WHERE conname = 'Message_v2_chatId_Chat_id_fk'"
                ),
                1
            );
        },
    );
}

#[test]
fn drizzle_orm_sqlite() {
    apply_real(
        Backend::Sqlite,
        "drizzle-drizzle-orm-sqlite",
        "drizzle",
        1,
        nothing,
        |db| {
            assert_tables(db, &["another_users", "users12"]);
            assert_eq!(drizzle_rows(db, "__drizzle_migrations"), 1);
        },
    );
}

// ---------------------------------------------------------------- Prisma

fn prisma_finished(db: &TestDb) -> i64 {
    db.scalar(
        "SELECT COUNT(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL \
         AND rolled_back_at IS NULL AND applied_steps_count = 1",
    )
}

#[test]
fn prisma_umami_postgres() {
    apply_real(
        Backend::Postgres,
        "prisma-umami-pg",
        "prisma",
        19,
        nothing,
        |db| {
            assert_tables(
                db,
                &[
                    "user",
                    "website",
                    "website_event",
                    "session",
                    "team",
                    "report",
                    "revenue",
                    "board",
                    "session_replay",
                ],
            );
            assert!(!db.has_table("team_website"), "04 dropped it");
            assert_eq!(prisma_finished(db), 19);
            // The first file's seed row.
            assert_eq!(
                db.scalar("SELECT COUNT(*) FROM \"user\" WHERE username = 'admin'"),
                1
            );
        },
    );
}

#[test]
fn prisma_umami_mysql() {
    apply_real(
        Backend::Mysql,
        "prisma-umami-mysql",
        "prisma",
        4,
        nothing,
        |db| {
            assert_tables(
                db,
                &[
                    "user",
                    "website",
                    "website_event",
                    "session",
                    "team",
                    "report",
                ],
            );
            assert!(!db.has_table("team_website"), "04 dropped it");
            assert_eq!(prisma_finished(db), 4);
        },
    );
}

// ---------------------------------------------------------------- goose

/// goose_db_version as goose leaves it: its version-0 row, then one applied row per file.
fn goose_rows(db: &TestDb, versions: &[i64]) {
    let want: Vec<String> = std::iter::once(0)
        .chain(versions.iter().copied())
        .map(|v| v.to_string())
        .collect();
    let cast = match db.backend {
        Backend::Mysql => "CAST(version_id AS CHAR)",
        _ => "CAST(version_id AS TEXT)",
    };
    assert_eq!(
        db.strings(&format!("SELECT {cast} FROM goose_db_version ORDER BY id")),
        want
    );
    assert_eq!(
        db.scalar(
            "SELECT COUNT(*) FROM goose_db_version WHERE is_applied = TRUE AND tstamp IS NOT NULL"
        ),
        want.len() as i64
    );
}

fn goose_integration_check(db: &TestDb) {
    assert_tables(db, &["owners", "repos"]);
    // Four owners from the up sections; the Down section's `DELETE FROM owners` never ran.
    assert_eq!(db.scalar("SELECT COUNT(*) FROM owners"), 4);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM repos"), 2);
    goose_rows(db, &[1, 2, 3, 4, 5, 6]);
}

#[test]
fn goose_integration_postgres_detected() {
    apply_real(
        Backend::Postgres,
        "goose-goose-integration-pg",
        "auto",
        6,
        nothing,
        |db| {
            goose_integration_check(db);
            // The NO TRANSACTION file's CREATE INDEX CONCURRENTLY ran outside a transaction.
            assert_eq!(
                db.scalar(
                    "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'owners_owner_name_idx'"
                ),
                1
            );
            assert!(pg_function_def(db, "insert_repository").contains("RETURNING repo_id"));
        },
    );
}

#[test]
fn goose_integration_mysql() {
    apply_real(
        Backend::Mysql,
        "goose-goose-integration-mysql",
        "goose",
        6,
        nothing,
        |db| {
            goose_integration_check(db);
            assert_eq!(mysql_routines(db), ["PROCEDURE insert_repository"]);
        },
    );
}

#[test]
fn goose_gophish_sqlite() {
    apply_real(
        Backend::Sqlite,
        "goose-gophish-sqlite",
        "goose",
        25,
        nothing,
        |db| {
            assert_tables(
                db,
                &["users", "campaigns", "roles", "permissions", "webhooks"],
            );
            // rbac's up section gave the roles; its Down section (DROP TABLE "roles") did not run.
            assert_eq!(db.scalar("SELECT COUNT(*) FROM roles"), 2);
            assert_eq!(db.scalar("SELECT COUNT(*) FROM goose_db_version"), 26);
        },
    );
}

#[test]
fn goose_gophish_mysql() {
    apply_real(
        Backend::Mysql,
        "goose-gophish-mysql",
        "goose",
        28,
        nothing,
        |db| {
            assert_tables(
                db,
                &["users", "campaigns", "roles", "permissions", "webhooks"],
            );
            assert_eq!(db.scalar("SELECT COUNT(*) FROM roles"), 2);
            assert_eq!(db.scalar("SELECT COUNT(*) FROM goose_db_version"), 29);
        },
    );
}
