//! The host's clock (spec §8.8): freshness (step 9), invite expiry, `received` times and
//! `server_time`. Injectable for tests: `[testing] clock_offset` in the config plus the env var
//! `HEARTH_TEST_CLOCK_OFFSET` (seconds, may be negative) shift the system clock.

use std::time::{SystemTime, UNIX_EPOCH};

/// The env var that shifts the clock, for tests only.
pub const OFFSET_ENV: &str = "HEARTH_TEST_CLOCK_OFFSET";

/// A clock: system time (UTC, HRT-API-48) plus a fixed test offset in seconds.
#[derive(Clone, Copy, Debug, Default)]
pub struct Clock {
    offset_ms: i64,
}

impl Clock {
    /// The system clock shifted by `config_offset` and by `HEARTH_TEST_CLOCK_OFFSET`.
    pub fn new(config_offset: i64) -> Clock {
        let env = std::env::var(OFFSET_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<i64>().ok())
            .unwrap_or(0);
        Clock {
            offset_ms: config_offset.saturating_add(env).saturating_mul(1000),
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> u64 {
        let sys = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let sys = i128::try_from(sys).unwrap_or(0);
        u64::try_from(sys + i128::from(self.offset_ms).max(-sys)).unwrap_or(0)
    }

    /// Seconds since the Unix epoch.
    pub fn now(&self) -> u64 {
        self.now_ms() / 1000
    }
}
