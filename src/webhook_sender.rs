//! The background task that sends webhook deliveries from the outbox, as the Standard
//! Webhooks convention has it: a POST of the JSON payload with `webhook-id`,
//! `webhook-timestamp` and `webhook-signature` (`v1,` and the base64 HMAC-SHA256 of
//! `id.timestamp.body` under the endpoint's secret).
//!
//! Every server runs one. Each claims endpoints whose oldest pending delivery is due
//! ([`webhooks::claim_due`]), sends those deliveries side by side, and records each
//! outcome; a delivery a server died sending goes out again once its claim runs out.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use sea_orm::DatabaseConnection;
use url::Url;

use crate::domain::pipeline::Pipeline;
use crate::domain::retry::Backoff;
use crate::domain::webhooks::{self, Attempt, Claim, Reach};

/// A send that has not been answered by then has failed (and is tried again).
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Bytes of an answer read, for the delivery log; the rest is left unread.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// Characters of an error answer's body kept in the delivery log.
const ERROR_BODY_CHARS: usize = 300;
/// How long an endpoint stays claimed: longer than a send may take, so that no other
/// server sends to it meanwhile, and short, so that one a dead server held is soon free.
const LEASE: Duration = Duration::from_secs(SEND_TIMEOUT.as_secs() + 5);
/// How often the outbox is looked at when no change wakes the sender: retries come due
/// and other servers' writes arrive (those heard through the relay wake it at once).
const POLL: Duration = Duration::from_secs(1);
/// Endpoints sent to side by side.
const ENDPOINTS_AT_ONCE: u64 = 16;

pub struct Sender {
    db: DatabaseConnection,
    client: reqwest::Client,
    reach: Reach,
    backoff: Backoff,
}

impl Sender {
    pub fn new(db: DatabaseConnection, reach: Reach, backoff: Backoff) -> Sender {
        let client = reqwest::Client::builder()
            .timeout(SEND_TIMEOUT)
            .connect_timeout(SEND_TIMEOUT)
            // A redirect could lead anywhere, a private address included.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("newsroom-webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(AllowedAddresses { reach }))
            .build()
            .expect("the webhook client builds");
        Sender { db, client, reach, backoff }
    }

    /// Sends due deliveries until the task is dropped, looking again after each change
    /// the pipeline hears and every second.
    pub async fn run(self, pipeline: Arc<Pipeline>) {
        let mut heard = pipeline.watch();
        loop {
            match self.send_due().await {
                Ok(0) => {}
                Ok(_) => continue,
                Err(error) => tracing::warn!(%error, "could not send webhook deliveries"),
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = heard.changed() => {}
            }
        }
    }

    /// Sends the deliveries due now, one per claimed endpoint, and answers how many.
    pub async fn send_due(&self) -> crate::domain::Result<usize> {
        let claims = webhooks::claim_due(&self.db, crate::domain::now(), LEASE, ENDPOINTS_AT_ONCE).await?;
        let sent = claims.len();
        futures_util::future::join_all(claims.into_iter().map(|claim| self.deliver(claim))).await;
        Ok(sent)
    }

    async fn deliver(&self, claim: Claim) {
        let attempt = self.attempt(&claim).await;
        match &attempt {
            Attempt::Delivered { .. } => {}
            Attempt::Transient { error, .. } | Attempt::Refused { error, .. } => tracing::info!(
                webhook = claim.webhook.id,
                delivery = claim.delivery.id,
                %error,
                "a webhook delivery failed"
            ),
        }
        if let Err(error) = webhooks::record_attempt(&self.db, &claim, attempt, &self.backoff).await {
            tracing::warn!(%error, delivery = claim.delivery.id, "could not record a webhook attempt");
        }
    }

    async fn attempt(&self, claim: &Claim) -> Attempt {
        let refused = |error: String| Attempt::Refused { status: None, error };
        let Ok(url) = Url::parse(&claim.webhook.url) else {
            return refused("the endpoint's URL does not parse".into());
        };
        if let Some(attempt) = self.check_destination(&url).await {
            return attempt;
        }
        let signer = match standardwebhooks::Webhook::new(&claim.webhook.secret) {
            Ok(signer) => signer,
            Err(error) => return refused(format!("the endpoint's secret is unusable: {error}")),
        };
        let body = claim.delivery.payload.clone();
        let timestamp = chrono::Utc::now().timestamp();
        let signature = match signer.sign(&claim.delivery.message_id, timestamp, body.as_bytes()) {
            Ok(signature) => signature,
            Err(error) => return refused(format!("cannot sign the payload: {error}")),
        };
        let sent = self
            .client
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header(standardwebhooks::HEADER_WEBHOOK_ID, &claim.delivery.message_id)
            .header(standardwebhooks::HEADER_WEBHOOK_TIMESTAMP, timestamp.to_string())
            .header(standardwebhooks::HEADER_WEBHOOK_SIGNATURE, signature)
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(error) => return Attempt::Transient { status: None, error: describe(&error), retry_after: None },
        };
        let status = response.status();
        let retry_after = response.headers().get(RETRY_AFTER).and_then(|value| retry_after(value.to_str().ok()?));
        let body = read_capped(response).await;
        let code = status.as_u16();
        if status.is_success() {
            return Attempt::Delivered { status: code };
        }
        let mut error = format!("answered {status}");
        let excerpt: String = String::from_utf8_lossy(&body).chars().take(ERROR_BODY_CHARS).collect();
        if !excerpt.trim().is_empty() {
            error = format!("{error}: {}", excerpt.trim());
        }
        if status.is_server_error() || code == 408 || code == 429 {
            Attempt::Transient { status: Some(code), error, retry_after }
        } else if status.is_redirection() {
            Attempt::Refused { status: Some(code), error: format!("{error} (webhooks do not follow redirects)") }
        } else {
            Attempt::Refused { status: Some(code), error }
        }
    }

    /// Refuses a destination that is, or resolves only to, an address webhooks may not
    /// reach. The connection itself goes only to allowed addresses ([`AllowedAddresses`]),
    /// so a name that resolves differently a moment later gains nothing.
    async fn check_destination(&self, url: &Url) -> Option<Attempt> {
        let refused = |error: String| Some(Attempt::Refused { status: None, error });
        match url.host()? {
            url::Host::Ipv4(ip) if !self.reach.allows(ip.into()) => refused(format!("{ip} is a private address")),
            url::Host::Ipv6(ip) if !self.reach.allows(ip.into()) => refused(format!("{ip} is a private address")),
            url::Host::Domain(name) => {
                let port = url.port_or_known_default().unwrap_or(443);
                match tokio::net::lookup_host((name, port)).await {
                    Ok(addresses) => {
                        let addresses: Vec<SocketAddr> = addresses.collect();
                        if addresses.iter().any(|address| self.reach.allows(address.ip())) {
                            None
                        } else {
                            refused(format!("{name} resolves only to private addresses"))
                        }
                    }
                    Err(error) => Some(Attempt::Transient {
                        status: None,
                        error: format!("cannot resolve {name}: {error}"),
                        retry_after: None,
                    }),
                }
            }
            _ => None,
        }
    }
}

/// The resolver the webhook client connects through: it hands out only the addresses
/// webhooks may reach.
struct AllowedAddresses {
    reach: Reach,
}

impl Resolve for AllowedAddresses {
    fn resolve(&self, name: Name) -> Resolving {
        let reach = self.reach;
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> = found.filter(|address| reach.allows(address.ip())).collect();
            if allowed.is_empty() {
                return Err(format!("{} resolves only to private addresses", name.as_str()).into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// A wait a receiver asked for: seconds, or an HTTP date.
fn retry_after(value: &str) -> Option<Duration> {
    if let Ok(seconds) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value.trim()).ok()?;
    Some(at.duration_since(std::time::SystemTime::now()).unwrap_or_default())
}

/// At most [`MAX_RESPONSE_BYTES`] of an answer's body.
async fn read_capped(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = MAX_RESPONSE_BYTES - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_RESPONSE_BYTES {
            break;
        }
    }
    body
}

/// A send error with its causes, which reqwest keeps apart.
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return format!("no answer within {} s", SEND_TIMEOUT.as_secs());
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(retry_after("120"), Some(Duration::from_secs(120)));
        let later = std::time::SystemTime::now() + Duration::from_secs(600);
        let waited = retry_after(&httpdate::fmt_http_date(later)).unwrap();
        assert!((Duration::from_secs(595)..=Duration::from_secs(600)).contains(&waited), "{waited:?}");
        assert_eq!(retry_after("soon"), None);
    }
}
