use crate::event::Stamped;
use tokio::sync::mpsc;

pub use crate::emit::Emitter;
pub use crate::event::BATCH_PAUSE;

/// Feeds every event to `handle`, in batches paced by `BATCH_PAUSE`, until the channel
/// closes (the job ended).
pub async fn consume_paced(mut rx: mpsc::Receiver<Stamped>, mut handle: impl FnMut(&Stamped)) {
    let mut batch = Vec::with_capacity(1024);
    while rx.recv_many(&mut batch, 1024).await > 0 {
        for s in batch.drain(..) {
            handle(&s);
        }
        tokio::time::sleep(BATCH_PAUSE).await;
    }
}
