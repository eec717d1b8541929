//! `verify`: a folder's own verify script (Sqitch `verify/`) passes when it runs without
//! error. Such scripts make a failing condition an error on purpose (`SELECT 1/COUNT(*)
//! FROM ...`, a column named in a `SELECT` that must exist), and usually wrap
//! themselves in `BEGIN; ... ROLLBACK;`; whatever they leave open is rolled back.

use super::{Check, Env, Found};

pub(super) async fn run(env: &mut Env<'_, '_>, check: &Check) -> Found {
    let Some(script) = check.spec.query.as_deref() else {
        return Found::fail("verify check without a script");
    };
    let conn = &mut *env.ctx.target;
    let result = conn.execute(script).await;
    if conn.in_transaction().await.unwrap_or(false) {
        conn.rollback_quietly().await;
    }
    match result {
        Ok(_) => Found::pass("the verify script ran without error"),
        Err(e) => Found::fail(format!("the verify script failed: {}", e.message)),
    }
}
