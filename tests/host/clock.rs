//! The wall clock the components see, which a test can stop and move.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use wasmtime_wasi::HostWallClock;

/// A wall clock shared by every request of a host: the system time until a
/// test sets it, then that fixed instant until it is set, advanced or released.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    fixed: Arc<Mutex<Option<Duration>>>,
}

impl Clock {
    /// Stops the clock at `since_epoch` after the Unix epoch.
    pub fn set(&self, since_epoch: Duration) {
        *self.lock() = Some(since_epoch);
    }

    /// Moves a stopped clock forward, or stops the clock at now + `by`.
    pub fn advance(&self, by: Duration) {
        let mut fixed = self.lock();
        let base = fixed.unwrap_or_else(system_now);
        *fixed = Some(base + by);
    }

    /// Lets the clock follow the system time again.
    pub fn release(&self) {
        *self.lock() = None;
    }

    /// Time since the Unix epoch as the components see it.
    pub fn now(&self) -> Duration {
        self.lock().unwrap_or_else(system_now)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Duration>> {
        self.fixed.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn system_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

impl HostWallClock for Clock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        Clock::now(self)
    }
}
