//! The client's clock for its duties (issue 16; Appendix B §91.6.15): what "now" is when the
//! client decides whether a commit or a member-key rotation is due (HRT-RAT-19 to HRT-RAT-21)
//! and what it records as the time of its commits. The system clock by default; the shim's
//! `clock.set` moves it by a fixed offset, after which it advances with real time.
//!
//! Request timestamps (`Request.ts`, spec §8) do not read this clock: they stay on the system
//! clock, so a host's freshness window holds whatever the shim set (Appendix B §91.6.15).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Seconds since the Unix epoch by the system clock (request timestamps read this, §8).
pub fn system_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// One client's duty clock; clones share the offset.
#[derive(Clone, Default, Debug)]
pub struct Clock {
    offset: Arc<AtomicI64>,
}

impl Clock {
    /// Seconds since the Unix epoch by this clock.
    pub fn now(&self) -> u64 {
        let sys = i64::try_from(system_now()).unwrap_or(i64::MAX);
        let t = sys.saturating_add(self.offset.load(Ordering::Relaxed));
        u64::try_from(t).unwrap_or(0)
    }

    /// Milliseconds since the Unix epoch by this clock.
    pub fn now_ms(&self) -> u64 {
        self.now().saturating_mul(1000)
    }

    /// Seconds this clock is ahead of the system clock (behind, if negative): the
    /// conversation layer's `duty_clock_offset`.
    pub fn offset(&self) -> i64 {
        self.offset.load(Ordering::Relaxed)
    }

    /// Makes this clock read `now` from this moment on.
    pub fn set(&self, now: u64) {
        let sys = i64::try_from(system_now()).unwrap_or(i64::MAX);
        let now = i64::try_from(now).unwrap_or(i64::MAX);
        self.offset
            .store(now.saturating_sub(sys), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::{system_now, Clock};

    #[test]
    fn set_moves_now_and_clones_follow() {
        let c = Clock::default();
        let d = c.clone();
        let sys = system_now();
        assert!(c.now() >= sys);
        c.set(sys + 30 * 86_400);
        assert!(d.now() >= sys + 30 * 86_400);
        assert!(d.now() <= sys + 30 * 86_400 + 5);
        c.set(0);
        assert!(c.now() <= 5);
    }
}
