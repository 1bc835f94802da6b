//! Protection against abuse by readers: per-client rate limits, and client addresses
//! kept only as salted hashes.
//!
//! Limits are counted in the database (the `rate_limits` table), so they hold across
//! every server on it: behind a load balancer a client gets its allowance once, whichever
//! instance it reaches. Each allowance is a GCRA budget, as the governor crate keeps one:
//! a row stores, per allowance, the theoretical arrival time of the client's next write,
//! and one atomic upsert checks both allowances and spends from both, or from neither.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use entity::rate_limit::{self, LimitedAction};
use sea_orm::sea_query::{Expr, Func, InsertStatement, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryTrait};
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

    /// The key its writes are counted under: clients whose address is unknown share one.
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

/// One allowance in GCRA terms, in milliseconds: one write per `interval`, and a burst of
/// the whole count, which lets the arrival time run up to `tolerance` ahead of the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rate {
    interval: i64,
    tolerance: i64,
}

impl Rate {
    fn new(count: u32, period_ms: i64) -> Rate {
        let count = i64::from(count.max(1));
        let interval = (period_ms / count).max(1);
        Rate { interval, tolerance: interval * (count - 1) }
    }

    /// Milliseconds from `now` until a write is allowed, given the stored arrival time.
    fn wait(self, tat: i64, now: i64) -> i64 {
        (tat - self.tolerance - now).max(0)
    }
}

/// Rate limits per client for one action: a per-minute and a per-hour budget, both of
/// which a write spends.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    action: LimitedAction,
    per_minute: Rate,
    per_hour: Rate,
}

impl RateLimits {
    pub fn new(action: LimitedAction, allowance: Allowance) -> RateLimits {
        RateLimits {
            action,
            per_minute: Rate::new(allowance.per_minute, 60_000),
            per_hour: Rate::new(allowance.per_hour, 3_600_000),
        }
    }

    /// Spends one write of `client`'s allowance, or says how long to wait.
    pub async fn spend(&self, db: &impl ConnectionTrait, client: &ClientKey) -> Result<()> {
        self.spend_at(db, client, Utc::now()).await
    }

    /// [`RateLimits::spend`] as if the time were `now`. A refused write spends nothing.
    pub async fn spend_at(&self, db: &impl ConnectionTrait, client: &ClientKey, now: DateTime<Utc>) -> Result<()> {
        let now = now.timestamp_millis();
        let key = client.limiter_key();
        let backend = db.get_database_backend();
        if db.query_one_raw(backend.build(&self.upsert(&key, now))).await?.is_some() {
            return Ok(());
        }
        let row = rate_limit::Entity::find_by_id((key, self.action)).one(db).await?;
        let wait_ms = row.map_or(0, |row| {
            self.per_minute.wait(row.minute_tat_ms, now).max(self.per_hour.wait(row.hour_tat_ms, now))
        });
        let seconds = u64::try_from(wait_ms).unwrap_or(0).div_ceil(1000).max(1);
        let what = match self.action {
            LimitedAction::Comment => "comments",
            LimitedAction::NewsletterSignUp => "sign-ups",
        };
        Err(Error::RateLimited {
            message: format!("too many {what}; try again in {seconds} seconds"),
            retry_after_seconds: seconds,
        })
    }

    /// One statement that spends from both allowances if both allow it, and returns a row
    /// only then. A missing row is a client with its whole allowance.
    fn upsert(&self, key: &str, now: i64) -> InsertStatement {
        use rate_limit::Column::{Action, Client, HourTatMs, MinuteTatMs};
        use sea_orm::sea_query::ExprTrait;
        let stored = |column: rate_limit::Column| Expr::col((rate_limit::Entity, column));
        let next = |column, rate: Rate| Func::greatest([stored(column), Expr::val(now)]).add(rate.interval);
        let first = rate_limit::ActiveModel {
            client: Set(key.to_owned()),
            action: Set(self.action),
            minute_tat_ms: Set(now + self.per_minute.interval),
            hour_tat_ms: Set(now + self.per_hour.interval),
        };
        let mut upsert = rate_limit::Entity::insert(first)
            .on_conflict(
                OnConflict::columns([Client, Action])
                    .values([
                        (MinuteTatMs, next(MinuteTatMs, self.per_minute)),
                        (HourTatMs, next(HourTatMs, self.per_hour)),
                    ])
                    .action_and_where(
                        stored(MinuteTatMs)
                            .lte(now + self.per_minute.tolerance)
                            .and(stored(HourTatMs).lte(now + self.per_hour.tolerance)),
                    )
                    .to_owned(),
            )
            .into_query();
        upsert.returning_col(Client);
        upsert
    }
}

/// Deletes the rows whose arrival times have all passed: they allow what a missing row
/// allows. Returns how many went.
pub async fn prune(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64> {
    let now = now.timestamp_millis();
    let deleted = rate_limit::Entity::delete_many()
        .filter(rate_limit::Column::MinuteTatMs.lte(now))
        .filter(rate_limit::Column::HourTatMs.lte(now))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
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
    fn an_allowance_is_a_write_per_interval_with_a_burst_of_its_count() {
        assert_eq!(Rate::new(5, 60_000), Rate { interval: 12_000, tolerance: 48_000 });
        assert_eq!(Rate::new(30, 3_600_000), Rate { interval: 120_000, tolerance: 3_480_000 });
        assert_eq!(Rate::new(0, 60_000), Rate { interval: 60_000, tolerance: 0 }, "no allowance is one");
        let huge = Rate::new(u32::MAX, 3_600_000);
        assert_eq!(huge.interval, 1, "never no interval at all");
        let rate = Rate::new(5, 60_000);
        // Five writes at 0 leave the arrival time at 60 s: the next may come at 12 s.
        assert_eq!(rate.wait(60_000, 0), 12_000);
        assert_eq!(rate.wait(60_000, 12_000), 0);
        assert_eq!(rate.wait(1_000, 50_000), 0, "a time long past allows at once");
    }
}
