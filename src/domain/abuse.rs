//! Protection against abuse by readers: per-client rate limits, and client addresses
//! kept only as salted hashes.
//!
//! Limits are counted in each server's memory: behind a load balancer with several
//! instances a client gets the allowance once per instance.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};

use super::{Error, Result};

/// A reader's client: the salted hash of its address, or `None` when the address is unknown.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientKey(pub Option<String>);

impl ClientKey {
    /// The client at `address`, hashed with `salt` so the address itself is never kept.
    pub fn of(address: Option<IpAddr>, salt: &str) -> ClientKey {
        ClientKey(address.map(|ip| {
            let digest = Sha256::digest(format!("{salt}|{ip}").as_bytes());
            digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
        }))
    }

    fn limiter_key(&self) -> String {
        self.0.clone().unwrap_or_else(|| "unknown".into())
    }
}

/// How many writes a client may make.
#[derive(Debug, Clone, Copy)]
pub struct Allowance {
    pub per_minute: u32,
    pub per_hour: u32,
}

/// Rate limits per client: a per-minute and a per-hour budget, both of which a write spends.
pub struct RateLimits {
    per_minute: DefaultKeyedRateLimiter<String>,
    per_hour: DefaultKeyedRateLimiter<String>,
}

impl RateLimits {
    pub fn new(allowance: Allowance) -> RateLimits {
        let quota = |n: u32, per: Duration| {
            let n = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
            Quota::with_period(per / n.get()).map(|q| q.allow_burst(n)).unwrap_or_else(|| Quota::per_second(n))
        };
        RateLimits {
            per_minute: RateLimiter::keyed(quota(allowance.per_minute, Duration::from_secs(60))),
            per_hour: RateLimiter::keyed(quota(allowance.per_hour, Duration::from_secs(3600))),
        }
    }

    /// Spends one write of `client`'s allowance, or says how long to wait.
    pub fn spend(&self, client: &ClientKey, what: &str) -> Result<()> {
        let key = client.limiter_key();
        let now = DefaultClock::default().now();
        for limiter in [&self.per_minute, &self.per_hour] {
            if let Err(not_until) = limiter.check_key(&key) {
                let wait = not_until.wait_time_from(now);
                return Err(Error::RateLimited {
                    message: format!("too many {what}; try again in {} seconds", wait.as_secs().max(1)),
                    retry_after_seconds: wait.as_secs().max(1),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_hashed_with_the_salt() {
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let one = ClientKey::of(Some(ip), "salt one");
        assert_eq!(one, ClientKey::of(Some(ip), "salt one"));
        assert_ne!(one, ClientKey::of(Some(ip), "salt two"));
        assert!(!one.0.unwrap().contains("203.0.113.7"));
    }

    #[test]
    fn the_allowance_runs_out_and_says_how_long_to_wait() {
        let limits = RateLimits::new(Allowance { per_minute: 2, per_hour: 30 });
        let client = ClientKey(Some("a".into()));
        assert!(limits.spend(&client, "comments").is_ok());
        assert!(limits.spend(&client, "comments").is_ok());
        match limits.spend(&client, "comments") {
            Err(Error::RateLimited { retry_after_seconds, .. }) => assert!((1..=60).contains(&retry_after_seconds)),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(limits.spend(&ClientKey(Some("b".into())), "comments").is_ok(), "other clients have their own");
    }
}
