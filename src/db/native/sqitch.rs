//! Sqitch (`sqitch deploy`): its registry, `sqitch.changes` with one row per deployed
//! change (by change id, with the SHA-1 of the deploy script), plus `dependencies`,
//! `tags`, `events` (an append-only log) and `projects`.
//!
//! Where the registry lives: PostgreSQL the schema `sqitch` of the target database;
//! MySQL the database `sqitch` on the same server; SQLite the file `sqitch<.ext>` beside
//! the target file, which cutover ATTACHes as `sqitch` for the run. Everything below
//! addresses `sqitch.<table>` on all three.
//!
//! As Sqitch's `Role/DBIEngine.pm`, `Engine/pg.pm` and `Engine/mysql.pm`:
//! - deploy (`log_deploy_change`): a `changes` row, one `dependencies` row per
//!   requirement/conflict, `tags` rows for the plan's tags on the change, and a `deploy`
//!   event;
//! - revert (`log_revert_change`): delete its tags, dependencies and change, then a
//!   `revert` event listing them;
//! - a change counts as applied while its `changes` row exists (matched by change id,
//!   then by name); a `script_hash` that differs from the deploy script is drift;
//! - lock: PostgreSQL `pg_advisory_lock(75474063)`, MySQL
//!   `get_lock('sqitch working on <db>')`; SQLite none.
//!
//! When the registry does not exist (Sqitch never deployed to this target), cutover
//! creates it as `sqitch deploy` would (`initialize`: the release 1.1 tables and release
//! row; `register_project`) on PostgreSQL and SQLite, the project row with the plan's `%uri` as written (Sqitch
//! binds `URI->new($uri)`, whose string form is the text as written; the canonical form
//! only enters the change ids, which the folder reader computes). A project registered
//! with another URI, or the URI under another project, stops the run as Sqitch's
//! `register_project` would. cutover does not create the registry on MySQL, where it is
//! a database of its own with a function and triggers that need privileges a migration
//! user rarely has: `open` returns None, the run says so, and the team records what
//! cutover applied with `sqitch deploy --log-only`, which initialises the registry and
//! logs the changes without running them.
//!
//! Known gaps: `tags` rows are not written (the plan's tag details are not read by the
//! folder reader); Sqitch adds the missing tags of the latest change itself at its next
//! deploy (`log_new_tags`), and `events.tags` lists them. Committer name and email:
//! the operator, and `$SQITCH_EMAIL`/`$EMAIL` or `<operator>@<host>`.

use super::{run, strings, Lock, Recorded, Val};
use crate::db::{Conn, DbError};
use crate::source::{Migration, SqitchChange};
use crate::sql::Dialect;
use std::path::PathBuf;

pub(super) const TABLE: &str = "sqitch.changes";

/// Sqitch's PostgreSQL advisory lock key.
pub(super) const PG_LOCK: i64 = 75474063;

pub(super) async fn lock(conn: &mut Conn) -> Result<Option<Lock>, DbError> {
    Ok(match conn.dialect {
        Dialect::Sqlite => None,
        Dialect::Postgres => Some(Lock::Pg(vec![PG_LOCK])),
        Dialect::Mysql => {
            let db = super::database_name(conn).await?;
            Some(Lock::Mysql(vec![format!("sqitch working on {db}")]))
        }
    })
}

/// The SQLite registry file: `sqitch` with the target's extension, beside it.
fn sqlite_registry(target: &std::path::Path) -> PathBuf {
    let name = match target.extension() {
        Some(ext) => format!("sqitch.{}", ext.to_string_lossy()),
        None => "sqitch".to_string(),
    };
    target.with_file_name(name)
}

/// Finds the registry (attaching it on SQLite) and makes sure it knows the project.
/// `Some(created)`: usable, `created` when the project was registered just now (Sqitch
/// has recorded nothing for it); None: no registry to keep (see the module comment).
pub(super) async fn ensure(
    conn: &mut Conn,
    migrations: &[Migration],
) -> Result<Option<bool>, DbError> {
    let ctx = "looking for Sqitch's registry";
    let Some(first) = migrations.iter().find_map(|m| m.native.sqitch.as_ref()) else {
        return Ok(None);
    };
    let present = match conn.dialect {
        Dialect::Sqlite => {
            let Some(target) = conn.sqlite_file.clone() else {
                return Ok(None);
            };
            let registry = sqlite_registry(&target);
            // ATTACH creates the file when it is missing (then initialised below).
            let path = registry.to_string_lossy().into_owned();
            run(
                conn,
                "attaching Sqitch's registry",
                "ATTACH DATABASE ? AS sqitch",
                &[Val::Str(&path)],
            )
            .await?;
            super::int(
                conn,
                ctx,
                "SELECT COUNT(*) FROM sqitch.sqlite_master WHERE type = 'table' AND name = 'changes'",
                &[],
            )
            .await?
        }
        Dialect::Postgres | Dialect::Mysql => {
            super::int(
                conn,
                ctx,
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'sqitch' AND table_name = 'changes'",
                &[],
            )
            .await?
        }
    };
    let present = present.unwrap_or(0) > 0;
    if !present {
        // MySQL's registry (a database of its own, with a function and triggers that
        // need privileges a migration user rarely has) is left to Sqitch.
        if conn.dialect == Dialect::Mysql {
            return Ok(None);
        }
        initialise(conn).await?;
    } else if registered(conn, first).await? {
        return Ok(Some(false));
    }
    let (name, email) = committer(&operator_name());
    let uri = Val::OptStr(first.uri.as_deref());
    let sql = format!(
        "INSERT INTO sqitch.projects (project, uri, creator_name, creator_email, created_at) VALUES (?, ?, ?, ?, {})",
        ts(conn.dialect)
    );
    run(
        conn,
        "registering the project in Sqitch's registry",
        &sql,
        &[
            Val::Str(&first.project),
            uri,
            Val::Str(&name),
            Val::Str(&email),
        ],
    )
    .await?;
    Ok(Some(true))
}

/// Whether the registry knows the project, refusing as Sqitch's `register_project`
/// does when the project or its URI is registered differently: Sqitch would stop at
/// its next deploy, so cutover stops before applying anything.
async fn registered(conn: &mut Conn, first: &SqitchChange) -> Result<bool, DbError> {
    let ctx = "reading Sqitch's registered projects";
    let rows = strings(
        conn,
        ctx,
        "SELECT COALESCE(uri, '') FROM sqitch.projects WHERE project = ?",
        &[Val::Str(&first.project)],
    )
    .await?;
    let plan_uri = first.uri.as_deref().unwrap_or("");
    let target = conn.display.clone();
    let mismatch = |what: String| {
        DbError::Query {
        target: target.clone(),
        context: ctx.to_string(),
        message: format!("{what}\n  hint: make the plan's %uri match the registry's `projects` row, or deploy to another target"),
    }
    };
    if let Some(reg) = rows.first() {
        if reg != plan_uri {
            return Err(mismatch(format!(
                "Sqitch's registry has project \"{}\" with URI \"{reg}\", the plan's %uri is \"{plan_uri}\" (Sqitch refuses such a deploy)",
                first.project
            )));
        }
        return Ok(true);
    }
    if !plan_uri.is_empty() {
        let other = strings(
            conn,
            ctx,
            "SELECT project FROM sqitch.projects WHERE uri = ?",
            &[Val::Str(plan_uri)],
        )
        .await?;
        if let Some(p) = other.first() {
            return Err(mismatch(format!(
                "Sqitch's registry has the plan's URI \"{plan_uri}\" registered for project \"{p}\" (Sqitch refuses such a deploy)"
            )));
        }
    }
    Ok(false)
}

/// Sqitch's registry DDL, release 1.1 (`Engine/pg.sql`, `Engine/sqlite.sql`; column
/// comments left out), addressed as `sqitch.<table>`.
fn registry_ddl(d: Dialect) -> Vec<&'static str> {
    match d {
        Dialect::Postgres => vec![
            "CREATE SCHEMA IF NOT EXISTS sqitch",
            "COMMENT ON SCHEMA sqitch IS 'Sqitch database deployment metadata v1.1.'",
            "CREATE TABLE sqitch.releases (
    version         REAL        PRIMARY KEY,
    installed_at    TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    installer_name  TEXT        NOT NULL,
    installer_email TEXT        NOT NULL
)",
            "CREATE TABLE sqitch.projects (
    project         TEXT        PRIMARY KEY,
    uri             TEXT            NULL UNIQUE,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    creator_name    TEXT        NOT NULL,
    creator_email   TEXT        NOT NULL
)",
            "CREATE TABLE sqitch.changes (
    change_id       TEXT        PRIMARY KEY,
    script_hash     TEXT            NULL,
    change          TEXT        NOT NULL,
    project         TEXT        NOT NULL REFERENCES sqitch.projects(project) ON UPDATE CASCADE,
    note            TEXT        NOT NULL DEFAULT '',
    committed_at    TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    committer_name  TEXT        NOT NULL,
    committer_email TEXT        NOT NULL,
    planned_at      TIMESTAMPTZ NOT NULL,
    planner_name    TEXT        NOT NULL,
    planner_email   TEXT        NOT NULL,
    UNIQUE(project, script_hash)
)",
            "CREATE TABLE sqitch.tags (
    tag_id          TEXT        PRIMARY KEY,
    tag             TEXT        NOT NULL,
    project         TEXT        NOT NULL REFERENCES sqitch.projects(project) ON UPDATE CASCADE,
    change_id       TEXT        NOT NULL REFERENCES sqitch.changes(change_id) ON UPDATE CASCADE,
    note            TEXT        NOT NULL DEFAULT '',
    committed_at    TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    committer_name  TEXT        NOT NULL,
    committer_email TEXT        NOT NULL,
    planned_at      TIMESTAMPTZ NOT NULL,
    planner_name    TEXT        NOT NULL,
    planner_email   TEXT        NOT NULL,
    UNIQUE(project, tag)
)",
            "CREATE TABLE sqitch.dependencies (
    change_id       TEXT        NOT NULL REFERENCES sqitch.changes(change_id) ON UPDATE CASCADE ON DELETE CASCADE,
    type            TEXT        NOT NULL,
    dependency      TEXT        NOT NULL,
    dependency_id   TEXT            NULL REFERENCES sqitch.changes(change_id) ON UPDATE CASCADE CONSTRAINT dependencies_check CHECK (
            (type = 'require'  AND dependency_id IS NOT NULL)
         OR (type = 'conflict' AND dependency_id IS NULL)
    ),
    PRIMARY KEY (change_id, dependency)
)",
            "CREATE TABLE sqitch.events (
    event           TEXT        NOT NULL CONSTRAINT events_event_check CHECK (
        event IN ('deploy', 'revert', 'fail', 'merge')
    ),
    change_id       TEXT        NOT NULL,
    change          TEXT        NOT NULL,
    project         TEXT        NOT NULL REFERENCES sqitch.projects(project) ON UPDATE CASCADE,
    note            TEXT        NOT NULL DEFAULT '',
    requires        TEXT[]      NOT NULL DEFAULT '{}',
    conflicts       TEXT[]      NOT NULL DEFAULT '{}',
    tags            TEXT[]      NOT NULL DEFAULT '{}',
    committed_at    TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    committer_name  TEXT        NOT NULL,
    committer_email TEXT        NOT NULL,
    planned_at      TIMESTAMPTZ NOT NULL,
    planner_name    TEXT        NOT NULL,
    planner_email   TEXT        NOT NULL,
    PRIMARY KEY (change_id, committed_at)
)",
        ],
        Dialect::Sqlite => vec![
            "CREATE TABLE sqitch.releases (
    version         FLOAT       PRIMARY KEY,
    installed_at    DATETIME    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    installer_name  TEXT        NOT NULL,
    installer_email TEXT        NOT NULL
)",
            "CREATE TABLE sqitch.projects (
    project         TEXT        PRIMARY KEY,
    uri             TEXT            NULL UNIQUE,
    created_at      DATETIME    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    creator_name    TEXT        NOT NULL,
    creator_email   TEXT        NOT NULL
)",
            "CREATE TABLE sqitch.changes (
    change_id       TEXT        PRIMARY KEY,
    script_hash     TEXT            NULL,
    change          TEXT        NOT NULL,
    project         TEXT        NOT NULL REFERENCES projects(project) ON UPDATE CASCADE,
    note            TEXT        NOT NULL DEFAULT '',
    committed_at    DATETIME    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    committer_name  TEXT        NOT NULL,
    committer_email TEXT        NOT NULL,
    planned_at      DATETIME    NOT NULL,
    planner_name    TEXT        NOT NULL,
    planner_email   TEXT        NOT NULL,
    UNIQUE(project, script_hash)
)",
            "CREATE TABLE sqitch.tags (
    tag_id          TEXT        PRIMARY KEY,
    tag             TEXT        NOT NULL,
    project         TEXT        NOT NULL REFERENCES projects(project) ON UPDATE CASCADE,
    change_id       TEXT        NOT NULL REFERENCES changes(change_id) ON UPDATE CASCADE,
    note            TEXT        NOT NULL DEFAULT '',
    committed_at    DATETIME    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    committer_name  TEXT        NOT NULL,
    committer_email TEXT        NOT NULL,
    planned_at      DATETIME    NOT NULL,
    planner_name    TEXT        NOT NULL,
    planner_email   TEXT        NOT NULL,
    UNIQUE(project, tag)
)",
            "CREATE TABLE sqitch.dependencies (
    change_id       TEXT        NOT NULL REFERENCES changes(change_id) ON UPDATE CASCADE ON DELETE CASCADE,
    type            TEXT        NOT NULL,
    dependency      TEXT        NOT NULL,
    dependency_id   TEXT            NULL REFERENCES changes(change_id) ON UPDATE CASCADE
                                         CONSTRAINT dependencies_check CHECK (
            (type = 'require'  AND dependency_id IS NOT NULL)
         OR (type = 'conflict' AND dependency_id IS NULL)
    ),
    PRIMARY KEY (change_id, dependency)
)",
            "CREATE TABLE sqitch.events (
    event           TEXT        NOT NULL CONSTRAINT events_event_check CHECK (
        event IN ('deploy', 'revert', 'fail', 'merge')
    ),
    change_id       TEXT        NOT NULL,
    change          TEXT        NOT NULL,
    project         TEXT        NOT NULL REFERENCES projects(project) ON UPDATE CASCADE,
    note            TEXT        NOT NULL DEFAULT '',
    requires        TEXT        NOT NULL DEFAULT '',
    conflicts       TEXT        NOT NULL DEFAULT '',
    tags            TEXT        NOT NULL DEFAULT '',
    committed_at    DATETIME    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    committer_name  TEXT        NOT NULL,
    committer_email TEXT        NOT NULL,
    planned_at      DATETIME    NOT NULL,
    planner_name    TEXT        NOT NULL,
    planner_email   TEXT        NOT NULL,
    PRIMARY KEY (change_id, committed_at)
)",
        ],
        Dialect::Mysql => Vec::new(),
    }
}

/// `initialize`: the registry tables, then the release row (1.1).
async fn initialise(conn: &mut Conn) -> Result<(), DbError> {
    let ctx = "creating Sqitch's registry";
    for stmt in registry_ddl(conn.dialect) {
        super::exec(conn, ctx, stmt).await?;
    }
    let (name, email) = committer(&operator_name());
    let sql = format!(
        "INSERT INTO sqitch.releases (version, installed_at, installer_name, installer_email) VALUES (1.1, {}, ?, ?)",
        ts(conn.dialect)
    );
    run(conn, ctx, &sql, &[Val::Str(&name), Val::Str(&email)]).await?;
    Ok(())
}

/// The operator as `ensure` sees it (it is not passed to `open`): `$USER`.
fn operator_name() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "cutover".to_string())
}

/// Detaches the SQLite registry (a no-op elsewhere and when not attached).
pub(super) async fn detach(conn: &mut Conn) {
    if conn.dialect == Dialect::Sqlite {
        let _ = conn.execute("DETACH DATABASE sqitch").await;
    }
}

/// The timestamp expression Sqitch writes with.
fn ts(d: Dialect) -> &'static str {
    match d {
        Dialect::Postgres => "clock_timestamp()",
        Dialect::Mysql => "utc_timestamp(6)",
        Dialect::Sqlite => "strftime('%Y-%m-%d %H:%M:%f','now')",
    }
}

/// The planned-at placeholder and value: the plan's UTC time (`2013-12-31T10:26:59Z`)
/// as Sqitch's `_char2ts` renders it per backend.
fn planned(d: Dialect, plan_time: &str) -> (&'static str, String) {
    let t = plan_time.trim_end_matches('Z').replacen('T', " ", 1);
    match d {
        Dialect::Postgres => ("CAST(? AS TIMESTAMPTZ)", format!("{t} +0000")),
        Dialect::Mysql | Dialect::Sqlite => ("?", t),
    }
}

/// The `change` column, a reserved word on MySQL.
fn change_col(d: Dialect) -> &'static str {
    match d {
        Dialect::Mysql => "`change`",
        _ => "\"change\"",
    }
}

/// Committer name and email: the operator, and `$SQITCH_EMAIL`, `$EMAIL` or
/// `<operator>@<host>`.
fn committer(operator: &str) -> (String, String) {
    let email = std::env::var("SQITCH_EMAIL")
        .or_else(|_| std::env::var("EMAIL"))
        .ok()
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| {
            format!(
                "{operator}@{}",
                gethostname::gethostname().to_string_lossy()
            )
        });
    (operator.to_string(), email)
}

fn details<'m>(m: &'m Migration, conn: &Conn) -> Result<&'m SqitchChange, DbError> {
    m.native.sqitch.as_ref().ok_or_else(|| DbError::Query {
        target: conn.display.clone(),
        context: "recording in Sqitch's registry".into(),
        message: format!(
            "{} has no Sqitch plan entry (change id, planner, timestamp)",
            m.path.display()
        ),
    })
}

pub(super) async fn recorded(
    conn: &mut Conn,
    migrations: &[Migration],
) -> Result<Recorded, DbError> {
    let mut rec = Recorded::default();
    let Some(project) = migrations
        .iter()
        .find_map(|m| m.native.sqitch.as_ref())
        .map(|c| c.project.clone())
    else {
        return Ok(rec);
    };
    let ctx = "reading Sqitch's registry";
    let cc = change_col(conn.dialect);
    let ids = strings(
        conn,
        ctx,
        "SELECT change_id FROM sqitch.changes WHERE project = ? ORDER BY committed_at, change_id",
        &[Val::Str(&project)],
    )
    .await?;
    let names = strings(
        conn,
        ctx,
        &format!(
            "SELECT {cc} FROM sqitch.changes WHERE project = ? ORDER BY committed_at, change_id"
        ),
        &[Val::Str(&project)],
    )
    .await?;
    let hashes = strings(
        conn,
        ctx,
        "SELECT COALESCE(script_hash, '') FROM sqitch.changes WHERE project = ? ORDER BY committed_at, change_id",
        &[Val::Str(&project)],
    )
    .await?;
    for ((id, name), hash) in ids.iter().zip(&names).zip(&hashes) {
        let by_id = migrations
            .iter()
            .position(|m| m.native.sqitch.as_ref().is_some_and(|c| &c.change_id == id));
        let found = by_id.or_else(|| {
            migrations.iter().enumerate().position(|(i, m)| {
                !rec.applied.contains(&i)
                    && m.native.sqitch.as_ref().is_some_and(|c| &c.change == name)
            })
        });
        let Some(i) = found else {
            rec.unknown.push(name.clone());
            continue;
        };
        if rec.applied.contains(&i) {
            continue;
        }
        rec.applied.push(i);
        let disk = migrations[i]
            .native
            .sqitch
            .as_ref()
            .map(|c| c.script_hash.clone())
            .unwrap_or_default();
        // Legacy rows carry the change id as their hash; Sqitch rewrites those itself.
        if !hash.is_empty() && hash != id && !disk.is_empty() && *hash != disk {
            rec.mismatched.push((i, hash.clone(), disk));
        }
    }
    rec.applied.sort_unstable();
    Ok(rec)
}

/// The change id a requirement resolves to, as Sqitch's `change_id_for_depend`: the
/// first deployed change of that name in the registry (this run's earlier rows
/// included), else the plan's own id for it.
async fn dependency_id(
    conn: &mut Conn,
    dep: &str,
    project: &str,
    m: &Migration,
    migrations: &[Migration],
) -> Result<Option<String>, DbError> {
    let (proj, key) = match dep.split_once(':') {
        Some((p, k)) => (p, k),
        None => (project, dep),
    };
    if key.len() == 40 && key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(Some(key.to_string()));
    }
    let (change, tag) = match key.split_once('@') {
        Some((c, t)) => (c, Some(format!("@{t}"))),
        None => (key, None),
    };
    let ctx = "resolving a Sqitch dependency";
    let cc = change_col(conn.dialect);
    let found = if change.is_empty() {
        let tag = tag.clone().unwrap_or_default();
        strings(
            conn,
            ctx,
            "SELECT change_id FROM sqitch.tags WHERE project = ? AND tag = ?",
            &[Val::Str(proj), Val::Str(&tag)],
        )
        .await?
    } else {
        strings(
            conn,
            ctx,
            &format!("SELECT change_id FROM sqitch.changes WHERE project = ? AND {cc} = ? ORDER BY committed_at ASC"),
            &[Val::Str(proj), Val::Str(change)],
        )
        .await?
    };
    if let Some(id) = found.into_iter().next() {
        return Ok(Some(id));
    }
    if proj != project {
        return Ok(None);
    }
    // Not in the registry: the plan's id (the latest instance before `m`).
    let at = migrations
        .iter()
        .position(|o| std::ptr::eq(o, m))
        .unwrap_or(migrations.len());
    let before = &migrations[..at];
    let planned = before.iter().rev().find_map(|o| {
        let c = o.native.sqitch.as_ref()?;
        let hit = if change.is_empty() {
            tag.as_ref().is_some_and(|t| c.tags.contains(t))
        } else {
            c.change == change
        };
        hit.then(|| c.change_id.clone())
    });
    Ok(planned)
}

pub(super) async fn record_apply(
    conn: &mut Conn,
    m: &Migration,
    migrations: &[Migration],
    operator: &str,
) -> Result<(), DbError> {
    let c = details(m, conn)?;
    let d = conn.dialect;
    let ctx = "recording in Sqitch's registry";
    let (user, email) = committer(operator);
    let (pl, planned_at) = planned(d, &c.planned_at);
    let cc = change_col(d);
    let now = ts(d);
    let hash = (!c.script_hash.is_empty()).then_some(c.script_hash.as_str());
    let sql = format!(
        "INSERT INTO sqitch.changes (change_id, script_hash, {cc}, project, note, committer_name, committer_email, planned_at, planner_name, planner_email, committed_at) VALUES (?, ?, ?, ?, ?, ?, ?, {pl}, ?, ?, {now})"
    );
    run(
        conn,
        ctx,
        &sql,
        &[
            Val::Str(&c.change_id),
            Val::OptStr(hash),
            Val::Str(&c.change),
            Val::Str(&c.project),
            Val::Str(&c.note),
            Val::Str(&user),
            Val::Str(&email),
            Val::Str(&planned_at),
            Val::Str(&c.planner_name),
            Val::Str(&c.planner_email),
        ],
    )
    .await?;
    for dep in &c.requires {
        let id = dependency_id(conn, dep, &c.project, m, migrations).await?;
        run(
            conn,
            ctx,
            "INSERT INTO sqitch.dependencies (change_id, type, dependency, dependency_id) VALUES (?, 'require', ?, ?)",
            &[Val::Str(&c.change_id), Val::Str(dep), Val::OptStr(id.as_deref())],
        )
        .await?;
    }
    for dep in &c.conflicts {
        run(
            conn,
            ctx,
            "INSERT INTO sqitch.dependencies (change_id, type, dependency, dependency_id) VALUES (?, 'conflict', ?, NULL)",
            &[Val::Str(&c.change_id), Val::Str(dep)],
        )
        .await?;
    }
    let (tags, requires, conflicts) = match d {
        // PostgreSQL keeps TEXT[] arrays; names never hold spaces.
        Dialect::Postgres => (
            c.tags.join(" "),
            c.requires.join(" "),
            c.conflicts.join(" "),
        ),
        // DBI engines: tags space-joined, dependencies comma-joined.
        _ => (
            c.tags.join(" "),
            c.requires.join(","),
            c.conflicts.join(","),
        ),
    };
    event(
        conn,
        "deploy",
        c,
        [&tags, &requires, &conflicts],
        (&user, &email),
    )
    .await
}

/// One `events` row.
async fn event(
    conn: &mut Conn,
    kind: &str,
    c: &SqitchChange,
    [tags, requires, conflicts]: [&str; 3],
    (user, email): (&str, &str),
) -> Result<(), DbError> {
    let d = conn.dialect;
    let (pl, planned_at) = planned(d, &c.planned_at);
    let cc = change_col(d);
    let now = ts(d);
    let list = match d {
        Dialect::Postgres => "string_to_array(CAST(? AS TEXT), ' ')",
        _ => "?",
    };
    let sql = format!(
        "INSERT INTO sqitch.events (event, change_id, {cc}, project, note, tags, requires, conflicts, committer_name, committer_email, planned_at, planner_name, planner_email, committed_at) VALUES (?, ?, ?, ?, ?, {list}, {list}, {list}, ?, ?, {pl}, ?, ?, {now})"
    );
    run(
        conn,
        "recording an event in Sqitch's registry",
        &sql,
        &[
            Val::Str(kind),
            Val::Str(&c.change_id),
            Val::Str(&c.change),
            Val::Str(&c.project),
            Val::Str(&c.note),
            Val::Str(tags),
            Val::Str(requires),
            Val::Str(conflicts),
            Val::Str(user),
            Val::Str(email),
            Val::Str(&planned_at),
            Val::Str(&c.planner_name),
            Val::Str(&c.planner_email),
        ],
    )
    .await?;
    Ok(())
}

/// The deploy script's new hash for a deployed change (Sqitch's own hash rewrite is
/// `UPDATE changes SET script_hash = ? WHERE change_id = ?`).
pub(super) async fn record_accept(conn: &mut Conn, m: &Migration) -> Result<(), DbError> {
    let Some(c) = m.native.sqitch.as_ref() else {
        return Ok(());
    };
    if c.script_hash.is_empty() {
        return Ok(());
    }
    run(
        conn,
        "recording the accepted script hash in Sqitch's registry",
        "UPDATE sqitch.changes SET script_hash = ? WHERE change_id = ?",
        &[Val::Str(&c.script_hash), Val::Str(&c.change_id)],
    )
    .await?;
    Ok(())
}

pub(super) async fn record_revert(
    conn: &mut Conn,
    m: &Migration,
    operator: &str,
) -> Result<(), DbError> {
    let c = details(m, conn)?;
    let d = conn.dialect;
    let ctx = "recording the revert in Sqitch's registry";
    let id = Val::Str(&c.change_id);
    let tags = if d == Dialect::Postgres {
        strings(
            conn,
            ctx,
            "DELETE FROM sqitch.tags WHERE change_id = ? RETURNING tag",
            &[id],
        )
        .await?
    } else {
        let t = strings(
            conn,
            ctx,
            "SELECT tag FROM sqitch.tags WHERE change_id = ?",
            &[id],
        )
        .await?;
        run(
            conn,
            ctx,
            "DELETE FROM sqitch.tags WHERE change_id = ?",
            &[id],
        )
        .await?;
        t
    };
    let requires = strings(
        conn,
        ctx,
        "SELECT dependency FROM sqitch.dependencies WHERE change_id = ? AND type = ?",
        &[id, Val::Str("require")],
    )
    .await?;
    let conflicts = strings(
        conn,
        ctx,
        "SELECT dependency FROM sqitch.dependencies WHERE change_id = ? AND type = ?",
        &[id, Val::Str("conflict")],
    )
    .await?;
    // PostgreSQL cascades these from `changes`; the others delete them first.
    run(
        conn,
        ctx,
        "DELETE FROM sqitch.dependencies WHERE change_id = ?",
        &[id],
    )
    .await?;
    run(
        conn,
        ctx,
        "DELETE FROM sqitch.changes where change_id = ?",
        &[id],
    )
    .await?;
    let sep = if d == Dialect::Postgres { " " } else { "," };
    let (user, email) = committer(operator);
    event(
        conn,
        "revert",
        c,
        [&tags.join(sep), &requires.join(sep), &conflicts.join(sep)],
        (&user, &email),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planned_at_per_backend() {
        assert_eq!(
            planned(Dialect::Postgres, "2013-12-31T10:26:59Z").1,
            "2013-12-31 10:26:59 +0000"
        );
        assert_eq!(
            planned(Dialect::Mysql, "2013-12-31T10:26:59Z").1,
            "2013-12-31 10:26:59"
        );
    }

    #[test]
    fn registry_file_beside_the_target() {
        assert_eq!(
            sqlite_registry(std::path::Path::new("/x/flipr.db")),
            PathBuf::from("/x/sqitch.db")
        );
        assert_eq!(
            sqlite_registry(std::path::Path::new("/x/flipr")),
            PathBuf::from("/x/sqitch")
        );
    }
}
