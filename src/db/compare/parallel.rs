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
            let (tx_a, rx_a) = tokio::sync::oneshot::channel::<()>();
            let (tx_b, rx_b) = tokio::sync::oneshot::channel::<()>();
            let h = &handle;
            let side_a = s.spawn(move || {
                let out = h.block_on(a);
                let _ = tx_a.send(());
                out
            });
            let side_b = s.spawn(move || {
                let out = h.block_on(b);
                let _ = tx_b.send(());
                out
            });
            // A side that panics drops its sender: the wait ends, its join re-raises.
            handle.block_on(progress::reporting(
                async {
                    let _ = rx_a.await;
                    let _ = rx_b.await;
                },
                progress,
                em,
            ));
            let a = side_a
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            let b = side_b
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            (a, b)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sides() -> (
        Progress,
        Emitter,
        tokio::sync::mpsc::Receiver<crate::event::Stamped>,
    ) {
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        (Progress::new("t"), Emitter::new(tx), rx)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn both_sides_run_on_threads_of_their_own() {
        let (progress, em, _rx) = sides();
        let side = || async {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            std::thread::current().id()
        };
        let (a, b) = both(side(), side(), &progress, &em).await;
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn a_single_threaded_runtime_joins_on_its_task() {
        let (progress, em, _rx) = sides();
        let (a, b) = both(async { 1 }, async { 2 }, &progress, &em).await;
        assert_eq!((a, b), (1, 2));
    }
}
