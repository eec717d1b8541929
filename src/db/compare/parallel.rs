//! The two sides' passes at once, each on a thread of its own. `tokio::join!` polls
//! both futures from one task, so all the work done here for both sides (decoding rows,
//! canonical text, MD5) would share one core, and a streamed pass waits on that core
//! more than on the servers. The sides borrow their connections, so they cannot be
//! spawned as tasks: the calling worker thread steps out of the runtime
//! (`block_in_place`) and two scoped threads drive one side each with the runtime's
//! handle, while the calling thread keeps emitting progress.

use super::progress::{self, Progress};
use crate::emit::Emitter;
use std::future::Future;
use tokio::runtime::{Handle, RuntimeFlavor};

/// `a` and `b` to completion, with progress every 250 ms. On a single-threaded runtime
/// (tests), both on this task.
pub(crate) async fn both<A, B>(
    a: A,
    b: B,
    progress: &Progress,
    em: &Emitter,
) -> (A::Output, B::Output)
where
    A: Future + Send,
    B: Future + Send,
    A::Output: Send,
    B::Output: Send,
{
    let handle = Handle::current();
    if handle.runtime_flavor() != RuntimeFlavor::MultiThread {
        return progress::reporting(async { tokio::join!(a, b) }, progress, em).await;
    }
    tokio::task::block_in_place(|| {
        std::thread::scope(|s| {
            let (tx_a, rx_a) = tokio::sync::oneshot::channel();
            let (tx_b, rx_b) = tokio::sync::oneshot::channel();
            let h = &handle;
            s.spawn(move || tx_a.send(h.block_on(a)));
            s.spawn(move || tx_b.send(h.block_on(b)));
            // A side that panicked drops its sender; the scope then re-raises its panic.
            let waited = handle.block_on(progress::reporting(
                async { (rx_a.await.ok(), rx_b.await.ok()) },
                progress,
                em,
            ));
            match waited {
                (Some(a), Some(b)) => Some((a, b)),
                _ => None,
            }
        })
    })
    .unwrap_or_else(|| unreachable!("a side's thread ended without a result nor a panic"))
}
