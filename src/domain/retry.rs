//! When to try a failed delivery again (a webhook, an email): exponential backoff with
//! jitter, for a while, then never.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// How a sender spaces its attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first failed attempt; each later one doubles it.
    pub first: Duration,
    /// The longest wait between two attempts.
    pub longest: Duration,
    /// How long after the first attempt a delivery is still tried; after that it fails.
    pub give_up_after: Duration,
}

impl Default for Backoff {
    /// 5 s, 10 s, 20 s, ... up to an hour between attempts, for 25 hours: 40 attempts or so,
    /// so a receiver that is down for a day still gets everything.
    fn default() -> Self {
        Backoff {
            first: Duration::from_secs(5),
            longest: Duration::from_secs(3600),
            give_up_after: Duration::from_secs(25 * 3600),
        }
    }
}

impl Backoff {
    /// When to try again after `attempts` failed attempts of a delivery first made at
    /// `first_attempt`, or `None` when it is time to give up. `asked` is a wait the
    /// receiver asked for (`Retry-After`), taken when it is longer than ours. The wait is
    /// drawn between half and all of the doubled delay, so that deliveries failed together
    /// do not all come back at once.
    pub fn next_attempt(
        &self,
        attempts: u32,
        first_attempt: DateTime<Utc>,
        now: DateTime<Utc>,
        asked: Option<Duration>,
    ) -> Option<DateTime<Utc>> {
        let doubled = self.first.saturating_mul(1u32 << attempts.saturating_sub(1).min(20));
        let delay = doubled.min(self.longest);
        let jittered = delay / 2 + delay.mul_f64(rand::random::<f64>() / 2.0);
        let wait = asked.map_or(jittered, |asked| asked.max(jittered));
        let at = now + chrono::Duration::from_std(wait).ok()?;
        let deadline = first_attempt + chrono::Duration::from_std(self.give_up_after).ok()?;
        (at <= deadline).then_some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_within_their_jitter_up_to_the_longest() {
        let backoff = Backoff::default();
        let start = Utc::now();
        for (attempts, lowest, highest) in [(1, 2.5, 5.0), (2, 5.0, 10.0), (3, 10.0, 20.0), (30, 1800.0, 3600.0)] {
            let at = backoff.next_attempt(attempts, start, start, None).unwrap();
            let wait = (at - start).as_seconds_f64();
            assert!((lowest..=highest).contains(&wait), "attempt {attempts}: waited {wait} s");
        }
    }

    #[test]
    fn a_receivers_longer_wait_is_honoured() {
        let backoff = Backoff::default();
        let start = Utc::now();
        let at = backoff.next_attempt(1, start, start, Some(Duration::from_secs(120))).unwrap();
        assert_eq!((at - start).num_seconds(), 120);
    }

    #[test]
    fn gives_up_only_after_a_day_of_trying() {
        let backoff = Backoff::default();
        let start = Utc::now();
        let mut now = start;
        let mut attempts = 1;
        while let Some(at) = backoff.next_attempt(attempts, start, now, None) {
            now = at;
            attempts += 1;
        }
        assert!(now - start >= chrono::Duration::hours(24), "gave up after {}", now - start);
        assert!(attempts > 20, "only {attempts} attempts");
    }
}
