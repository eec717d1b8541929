//! PostgreSQL: `pg_dump -Fc` of the target's schema; restored through `pg_restore`
//! (as SQL) and `psql`, in one transaction that first drops what the schema holds now.
//!
//! Why not `pg_restore --clean --if-exists --single-transaction -d` alone: `--clean`
//! drops only the objects the dump holds, so a table created after the backup would
//! survive the restore. So the restore's transaction first drops every table, view,
//! sequence, function and type of the schema that no extension owns (objects of an
//! extension installed in the schema stay, as the dump, taken with `-n`, does not
//! recreate extensions), then runs the dump's SQL without its `CREATE SCHEMA` (the schema
//! itself, its owner and grants stay). A failure anywhere rolls all of it back.

use super::super::tools;
use super::super::{Backup, CheckpointError};
use super::{run_dump, run_tool, Partial, ToolEvent, LOCK_WAIT};
use std::path::Path;

fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub(super) async fn backup(
    url: &str,
    schema: &str,
    dest: &Path,
    tables: u64,
    progress: &mut (dyn FnMut(ToolEvent) + Send),
) -> Result<Backup, CheckpointError> {
    let mut cmd = tools::pg_dump(url)?;
    let partial = Partial::new(dest);
    cmd.args.extend([
        "--format=custom".to_string(),
        "--verbose".to_string(),
        // A table held by another session fails the backup after a minute rather than
        // hanging the window.
        format!("--lock-wait-timeout={}", LOCK_WAIT.as_millis()),
        format!("--schema=\"{}\"", schema.replace('"', "\"\"")),
        format!("--file={}", partial.tmp.display()),
    ]);
    run_dump(&cmd, url, "dumping contents of table", tables, progress).await?;
    finish(partial, "pg_dump", schema).await
}

/// Hashes and syncs a finished dump into place.
pub(super) async fn finish(
    partial: Partial,
    tool: &str,
    scope: &str,
) -> Result<Backup, CheckpointError> {
    let tmp = partial.tmp.clone();
    let sha256 = tokio::task::spawn_blocking(move || super::super::sha256_file(&tmp))
        .await
        .map_err(|e| CheckpointError::Backup(format!("hashing the backup: {e}")))?
        .map_err(|e| CheckpointError::Backup(format!("hashing the backup: {e}")))?;
    let path = partial.dest.clone();
    let size = tokio::task::spawn_blocking(move || partial.finish())
        .await
        .map_err(|e| CheckpointError::Backup(format!("syncing the backup: {e}")))??;
    Ok(Backup {
        path,
        size,
        sha256,
        tool: tool.to_string(),
        scope: Some(scope.to_string()),
    })
}

/// Drops what the schema holds that no extension owns; tables before the sequences
/// they own, `IF EXISTS` throughout since a CASCADE may have taken an object already.
/// The schema is created if missing (a restore into another, empty database).
fn drop_all(schema: &str) -> String {
    let s = literal(schema);
    let ident = crate::db::names::quote_ident(crate::sql::Dialect::Postgres, schema);
    let not_ext = |cat: &str, col: &str| {
        format!(
            "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '{cat}'::regclass AND d.objid = {col} AND d.deptype = 'e')"
        )
    };
    format!(
        "SET client_min_messages = warning;
SET lock_timeout = '{lock_ms}ms';
CREATE SCHEMA IF NOT EXISTS {ident};
DO $cutover$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.relkind, format('%I.%I', n.nspname, c.relname) AS name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = {s} AND c.relkind IN ('v', 'm', 'f', 'p', 'r', 'S') AND {rel}
    ORDER BY CASE c.relkind WHEN 'v' THEN 0 WHEN 'm' THEN 1 WHEN 'f' THEN 2 WHEN 'p' THEN 3 WHEN 'r' THEN 4 ELSE 5 END
  LOOP
    EXECUTE format('DROP %s IF EXISTS %s CASCADE',
      CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE'
        WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, r.name);
  END LOOP;
  FOR r IN SELECT p.prokind, p.oid::regprocedure::text AS sig
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = {s} AND {proc}
  LOOP
    EXECUTE format('DROP %s IF EXISTS %s CASCADE',
      CASE r.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END, r.sig);
  END LOOP;
  FOR r IN SELECT t.typtype, format('%I.%I', n.nspname, t.typname) AS name
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = {s} AND t.typtype IN ('e', 'd', 'r', 'c')
      AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
      AND {typ}
  LOOP
    EXECUTE format('DROP %s IF EXISTS %s CASCADE', CASE r.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, r.name);
  END LOOP;
END
$cutover$;",
        rel = not_ext("pg_class", "c.oid"),
        proc = not_ext("pg_proc", "p.oid"),
        typ = not_ext("pg_type", "t.oid"),
        lock_ms = LOCK_WAIT.as_millis(),
        ident = ident,
    )
}

/// Whether a `pg_restore -l` line is the schema itself (or its comment), which the
/// restore keeps rather than creates.
fn is_schema_entry(line: &str, schema: &str) -> bool {
    let quoted = format!("\"{}\"", schema.replace('"', "\"\""));
    [schema, quoted.as_str()].iter().any(|name| {
        line.ends_with(&format!(" SCHEMA - {name}"))
            || line.contains(&format!(" SCHEMA - {name} "))
            || line.contains(&format!(" COMMENT - SCHEMA {name} "))
    })
}

pub(super) async fn restore(
    url: &str,
    b: &Backup,
    progress: &mut (dyn FnMut(String) + Send),
) -> Result<(), CheckpointError> {
    let schema = b.scope.clone().unwrap_or_else(|| "public".to_string());
    let work = |suffix: &str| {
        let mut p = b.path.as_os_str().to_owned();
        p.push(format!(".restore-{}{suffix}", std::process::id()));
        Partial::new(&std::path::PathBuf::from(p))
    };
    let (list, script) = (work(".list"), work(".sql"));
    let io = |e: std::io::Error| CheckpointError::Backup(format!("restore: {e}"));

    // The dump's table of contents, less the schema's own entry.
    let toc = std::fs::File::create(&list.tmp).map_err(io)?;
    let mut cmd = tools::pg_restore(url)?;
    cmd.args
        .extend(["--list".to_string(), b.path.display().to_string()]);
    run_tool(&cmd, url, "restore", Some(toc), progress).await?;
    let kept: Vec<String> = std::fs::read_to_string(&list.tmp)
        .map_err(io)?
        .lines()
        .filter(|l| !is_schema_entry(l, &schema))
        .map(str::to_string)
        .collect();
    std::fs::write(&list.tmp, kept.join("\n") + "\n").map_err(io)?;

    // The dump as SQL, then one psql transaction: drop everything, run it.
    let mut cmd = tools::pg_restore(url)?;
    cmd.args.extend([
        format!("--use-list={}", list.tmp.display()),
        format!("--file={}", script.tmp.display()),
        b.path.display().to_string(),
    ]);
    run_tool(&cmd, url, "restore", None, progress).await?;
    let mut cmd = tools::psql(url)?;
    cmd.args.extend([
        "--no-psqlrc".to_string(),
        "--quiet".to_string(),
        "--set=ON_ERROR_STOP=1".to_string(),
        "--single-transaction".to_string(),
        format!("--command={}", drop_all(&schema)),
        format!("--file={}", script.tmp.display()),
    ]);
    run_tool(&cmd, url, "restore", None, progress)
        .await
        .map_err(|e| {
            CheckpointError::Backup(format!(
                "{e}\n  (the restore ran in one transaction: the target is unchanged)"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_entries_of_a_toc() {
        assert!(is_schema_entry(
            "5; 2615 2200 SCHEMA - public pg_database_owner",
            "public"
        ));
        assert!(is_schema_entry(
            "3389; 0 0 COMMENT - SCHEMA public pg_database_owner",
            "public"
        ));
        assert!(!is_schema_entry(
            "215; 1259 16408 TABLE public t postgres",
            "public"
        ));
        assert!(!is_schema_entry(
            "5; 2615 2200 SCHEMA - public2 me",
            "public"
        ));
    }
}
