//! Jobs on the caller's rayon pool, waited for without idling a core.
//!
//! `tamis run` drives its reading and its ordered writing from one of the pool's own threads,
//! so that `--threads N` keeps N cores busy rather than N plus a driver. A driver that blocked
//! on a job would leave its core idle (and with one thread would wait forever for a job only it
//! could run), so [`Ticket::wait`] runs the pool's queued jobs while it waits.
//!
//! Outside a rayon pool, [`spawn`] runs the job at once: callers get the same results, serially.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{sync_channel, Receiver, TryRecvError};
use std::time::Duration;

/// What a job returned, or the payload of its panic.
pub type JobResult<T> = Result<T, Box<dyn Any + Send>>;

/// The pending result of a job started by [`spawn`] or [`spawn_scoped`].
pub struct Ticket<T> {
    rx: Receiver<JobResult<T>>,
}

/// How long a waiter with nothing to run sleeps before looking again: short against a job's
/// length (milliseconds), long enough not to spin a core.
const NAP: Duration = Duration::from_micros(50);

fn pair<T>() -> (impl FnOnce(JobResult<T>), Ticket<T>) {
    let (tx, rx) = sync_channel(1);
    // The ticket may have been dropped (its owner failed): the result is then unwanted.
    (move |r| drop(tx.send(r)), Ticket { rx })
}

/// Runs `f` on the current rayon pool (in the order jobs were spawned), or at once when the
/// caller is not on a pool thread.
pub fn spawn<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Ticket<T> {
    let (send, ticket) = pair();
    if rayon::current_thread_index().is_none() {
        send(catch_unwind(AssertUnwindSafe(f)));
    } else {
        rayon::spawn_fifo(move || send(catch_unwind(AssertUnwindSafe(f))));
    }
    ticket
}

/// [`spawn`] for a job that borrows from the caller: it runs within `scope`.
pub fn spawn_scoped<'s, T: Send + 's>(
    scope: &rayon::ScopeFifo<'s>,
    f: impl FnOnce() -> T + Send + 's,
) -> Ticket<T> {
    let (send, ticket) = pair();
    scope.spawn_fifo(move |_| send(catch_unwind(AssertUnwindSafe(f))));
    ticket
}

impl<T> Ticket<T> {
    /// The job's result, running other queued jobs of the pool meanwhile.
    pub fn wait(self) -> JobResult<T> {
        let lost = || -> JobResult<T> { Err(Box::new("the job was dropped before it ran")) };
        wait_for(|| match self.rx.try_recv() {
            Ok(r) => Some(r),
            Err(TryRecvError::Disconnected) => Some(lost()),
            Err(TryRecvError::Empty) => None,
        })
    }
}

/// Polls `ready` until it returns a value, running the pool's queued jobs in between (a
/// short nap when there are none, as the awaited job then runs on another thread).
pub fn wait_for<T>(mut ready: impl FnMut() -> Option<T>) -> T {
    loop {
        if let Some(v) = ready() {
            return v;
        }
        if let Some(rayon::Yield::Executed) = rayon::yield_now() {
            continue;
        }
        std::thread::sleep(NAP);
    }
}

/// The message of a job's panic payload.
pub fn panic_message(p: &(dyn Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_driver_on_a_one_thread_pool_runs_the_jobs_it_waits_for() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let sum = pool.install(|| {
            let tickets: Vec<_> = (0..64u64).map(|i| spawn(move || i * i)).collect();
            tickets.into_iter().map(|t| t.wait().unwrap()).sum::<u64>()
        });
        assert_eq!(sum, (0..64u64).map(|i| i * i).sum::<u64>());
    }

    #[test]
    fn outside_a_pool_jobs_run_at_once_and_panics_come_back_as_errors() {
        let t = spawn(|| -> u32 { panic!("boom") });
        let err = t.wait().err().unwrap();
        assert_eq!(panic_message(err.as_ref()), "boom");
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let data = [1u32, 2, 3];
        let got = pool.install(|| {
            rayon::scope_fifo(|s| {
                let t = spawn_scoped(s, || data.iter().sum::<u32>());
                t.wait().unwrap()
            })
        });
        assert_eq!(got, 6);
    }
}
