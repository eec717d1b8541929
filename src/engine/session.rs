//! A session on a target: one connection holding the target's lock (and the folder's
//! own tool's lock, where adopted) for as long as an operator works on it, across as
//! many jobs as they run. The cockpit keeps one open; a headless run opens one per job.

use super::{run_file, Emitter, EngineError, Workspace};
use crate::db::lock::{self, Holder};
use crate::db::{self, ledger, native, Conn, ConnectInfo};
use crate::event::{Event, Level};

pub struct Session {
    pub(crate) conn: Conn,
    guard: Option<lock::Guard>,
    pub(crate) native: Option<native::History>,
    /// How an operator's second Ctrl-C cancels the statement this session runs (None
    /// when the connection could not tell its id: the statement then runs to its end).
    pub(crate) canceller: Option<db::Canceller>,
    /// True when the SQLite database file did not exist and was created.
    pub created_database: bool,
    /// How the session reached the target (its URL holds the password: backup tools get
    /// it by environment, nothing prints it).
    pub(crate) target: ConnectInfo,
}

/// The first event of every session; the engine builds it here and nowhere else.
pub(crate) fn started(ws: &Workspace, target: &ConnectInfo, operator: &str) -> Event {
    Event::SessionStarted {
        plan: ws.plan.name.clone(),
        target: target.display.clone(),
        operator: operator.to_string(),
        host: host(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    }
}

/// What the session is about to run: the folder, its format, and what the format
/// leaves unread.
async fn describe_folder(ws: &Workspace, em: &Emitter) {
    let how = if ws.folder.detected {
        "detected"
    } else {
        "as the plan says"
    };
    em.log(
        Level::Info,
        format!(
            "{}: {} migration(s), {} format ({how})",
            ws.folder.dir.display(),
            ws.folder.migrations.len(),
            ws.folder.format
        ),
    )
    .await;
    for note in &ws.folder.notes {
        em.log(Level::Warn, note.clone()).await;
    }
    if !ws.folder.unread.is_empty() {
        let names: Vec<String> = ws
            .folder
            .unread
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        em.log(
            Level::Warn,
            format!(
                "{}: {} does not read {}: they will not run\n  hint: set [migrations] pattern if they are migrations, or move them out of the folder",
                ws.folder.dir.display(),
                ws.folder.format,
                names.join(", ")
            ),
        )
        .await;
    }
}

pub fn host() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

impl Session {
    /// Connects, takes the target's lock (or says who holds it), makes sure cutover's
    /// ledger exists, and opens the folder's own tool's history.
    pub async fn open(
        target: &ConnectInfo,
        operator: &str,
        ws: &Workspace,
        em: &Emitter,
    ) -> Result<Session, EngineError> {
        describe_folder(ws, em).await;
        let (mut conn, created) = db::connect(target).await?;
        if created {
            em.log(
                Level::Info,
                format!("created SQLite database {}", target.display),
            )
            .await;
        }
        let me = Holder {
            operator: operator.to_string(),
            host: host(),
            pid: std::process::id() as i64,
            since: run_file::now(),
        };
        let guard = match lock::acquire(&mut conn, &me).await {
            Ok(g) => g,
            Err(e) => {
                conn.close().await;
                return Err(e.into());
            }
        };
        let mut session = Session {
            conn,
            guard: Some(guard),
            native: None,
            canceller: None,
            created_database: created,
            target: target.clone(),
        };
        match session.conn.canceller(target).await {
            Ok(c) => session.canceller = Some(c),
            Err(e) => {
                em.log(
                    Level::Warn,
                    format!("a running statement cannot be cancelled in this session: {e}"),
                )
                .await
            }
        }
        let opened = async {
            ledger::ensure(&mut session.conn).await?;
            native::open(&mut session.conn, ws.folder.format, &ws.folder.migrations)
                .await
                .map_err(|e| EngineError::Ledger(e.to_string()))
        }
        .await;
        match opened {
            Ok(n) => {
                if let Some(n) = &n {
                    let what = if n.created { "created" } else { "keeping" };
                    em.log(
                        Level::Info,
                        format!(
                            "{what} {}'s history ({}) alongside cutover's",
                            native::tool_name(n.tool),
                            n.table
                        ),
                    )
                    .await;
                } else if ws.folder.format == crate::source::Format::Sqitch {
                    // Said plainly, since Sqitch would otherwise deploy these changes again.
                    em.log(
                        Level::Warn,
                        "Sqitch's registry is not written on this target (cutover creates it only on PostgreSQL and SQLite files): after this run, record the applied changes with `sqitch deploy --log-only --to <last applied change> <target>`".to_string(),
                    )
                    .await;
                }
                session.native = n;
                Ok(session)
            }
            Err(e) => {
                session.close(em).await;
                Err(e)
            }
        }
    }

    pub fn dialect(&self) -> crate::sql::Dialect {
        self.conn.dialect
    }

    /// Records the operator's `resolve` decisions (and nothing else) in this session.
    pub async fn resolve(
        &mut self,
        ws: &Workspace,
        opts: &super::ApplyOptions,
        em: &Emitter,
    ) -> Result<(), EngineError> {
        let mut entries = ledger::read(&mut self.conn)
            .await?
            .into_iter()
            .map(|e| (e.version.clone(), e))
            .collect();
        super::resolve::resolve(
            &mut self.conn,
            ws,
            opts,
            self.native.as_ref(),
            &mut entries,
            em,
        )
        .await
        .map(|_decided| ())
    }

    /// What cutover's ledger holds now.
    pub async fn ledger(&mut self) -> Result<Vec<ledger::Entry>, EngineError> {
        Ok(ledger::read(&mut self.conn).await?)
    }

    /// Releases the locks and the connection. A failure to release is logged only: the
    /// locks die with the connection anyway.
    pub async fn close(mut self, em: &Emitter) {
        if !self.conn.is_alive().await {
            // Server-side locks belong to the connection: they went with it.
            em.log(
                Level::Warn,
                "the connection to the target was lost; the target lock (and the tool's) went with it",
            )
            .await;
            self.conn.close().await;
            return;
        }
        if let Some(n) = &self.native {
            n.close(&mut self.conn).await;
        }
        if let Some(guard) = self.guard.take() {
            if let Err(e) = lock::release(&mut self.conn, guard).await {
                em.log(Level::Warn, format!("releasing the lock: {e}"))
                    .await;
            }
        }
        self.conn.close().await;
    }
}
