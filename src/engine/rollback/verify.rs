//! After a file is undone: the schema must equal the checkpoint taken before it ran.
//! A difference is a critical finding, said item by item.

use crate::checkpoint::Checkpoint;
use crate::db::schema;
use crate::db::{Conn, DbError};

/// None when the schema equals `cp`'s; otherwise what differs (from the checkpoint to
/// now), one line per item.
pub(crate) async fn differs(
    conn: &mut Conn,
    skip: &[String],
    cp: &Checkpoint,
) -> Result<Option<Vec<String>>, DbError> {
    let now = schema::introspect(conn, skip).await?;
    if now.fingerprint() == cp.fingerprint {
        return Ok(None);
    }
    let mut lines = schema::diff(&cp.schema, &now).lines();
    if lines.is_empty() {
        lines.push(format!(
            "fingerprint {} instead of {}",
            short(&now.fingerprint()),
            short(&cp.fingerprint)
        ));
    }
    Ok(Some(lines))
}

pub(crate) fn short(fp: &str) -> &str {
    fp.get(..12).unwrap_or(fp)
}
