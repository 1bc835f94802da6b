//! The background task that sends the outbox's emails over SMTP, when a mail server is
//! configured (`NEWSROOM_SMTP_URL`). Every server instance runs one; claims make each
//! email go out from one instance at a time, failed tries come back on the shared
//! backoff schedule, and a permanent refusal gives an email up at once (see
//! [`crate::domain::outbox`]).
//!
//! Delivery is at least once: an email the mail server took is marked sent right after,
//! and should that write fail (the database gone at that moment), the email is sent again
//! once its claim runs out. Every email carries a `Message-ID` made from its outbox row,
//! the same on every try, so a receiver can tell a repeat.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::Error as SmtpError;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::domain::outbox::{self, Failure, Next};
use crate::domain::retry::Backoff;
use crate::domain::{self, site::Site};
use entity::outbox_message;

/// How often a sender looks for due emails: a confirmation goes out about this long after
/// it was queued.
pub const EVERY: Duration = Duration::from_secs(1);

/// Emails a sender looks at a time; it goes on while it finds full batches.
const BATCH: u64 = 50;

/// The longest the mail server may take over one step (connecting, a command, the
/// message): far shorter than a claim, so no try outlives its claim.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// A configured sender.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The domain of the `Message-ID`s, the From address's.
    domain: String,
    /// When failed tries come back.
    pub backoff: Backoff,
    /// How often to look for due emails.
    pub every: Duration,
}

impl Mailer {
    /// A sender through the mail server of `smtp_url` (`smtps://user:pass@host`,
    /// `smtp://user:pass@host:587?tls=required`, or `smtp://host:25` unencrypted), as
    /// `from`. The URL is not echoed in the error: it may hold a password.
    pub fn new(smtp_url: &str, from: Mailbox, backoff: Backoff) -> Result<Mailer, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| {
                format!(
                    "NEWSROOM_SMTP_URL is not a mail server's address ({e}); write it like \
                     smtps://user:password@smtp.example.com or smtp://user:password@smtp.example.com:587?tls=required"
                )
            })?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let domain = from.email.domain().to_owned();
        Ok(Mailer { transport, from, domain, backoff, every: EVERY })
    }

    /// The sender `config` asks for: `None` without `NEWSROOM_SMTP_URL`. The From is
    /// `NEWSROOM_SMTP_FROM`, or the site's name at `newsroom@` the site's host.
    pub fn from_config(config: &Config, site: &Site) -> Result<Option<Mailer>, String> {
        let Some(url) = config.smtp_url.as_deref().map(str::trim).filter(|url| !url.is_empty()) else {
            return Ok(None);
        };
        let from = match config.smtp_from.as_deref() {
            Some(from) => from.trim().parse::<Mailbox>().map_err(|e| {
                format!("NEWSROOM_SMTP_FROM must be an address, like newsroom@example.com or \"Daily News\" <news@example.com> ({e})")
            })?,
            None => default_from(site),
        };
        let backoff = Backoff { first: config.smtp_retry_first, ..Backoff::default() };
        Mailer::new(url, from, backoff).map(Some)
    }

    /// The email of an outbox row, or why no mail server could ever take it.
    fn message(&self, email: &outbox_message::Model) -> Result<Message, String> {
        let to: Mailbox = email
            .recipient
            .parse()
            .map_err(|e| format!("the recipient is not an address that can be sent to ({e})"))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.as_str())
            .message_id(Some(format!("<outbox.{}.{}@{}>", email.id, email.created_at.timestamp(), self.domain)))
            .header(ContentType::TEXT_PLAIN)
            .body(email.body.clone())
            .map_err(|e| format!("the email cannot be built ({e})"))
    }

    /// Tries the claimed `email` once and records how it went.
    async fn deliver(&self, db: &DatabaseConnection, email: &outbox_message::Model) -> domain::Result<()> {
        let tried = match self.message(email) {
            Ok(message) => self.transport.send(message).await.map(drop).map_err(|e| (failure(&e), e.to_string())),
            Err(error) => Err((Failure::Permanent, error)),
        };
        let now = domain::now();
        let attempts = email.attempts;
        match tried {
            Ok(()) => {
                outbox::mark_sent(db, email.id, now).await?;
                tracing::info!(email = email.id, kind = %email.kind, attempts, "email sent");
            }
            Err((failure, error)) => match outbox::mark_failed(db, email, failure, &error, &self.backoff, now).await? {
                Next::RetryAt(at) => {
                    tracing::warn!(email = email.id, attempts, %error, retry_at = %at, "email not sent; it is tried again later")
                }
                Next::GivenUp => tracing::warn!(email = email.id, attempts, %error, "email not sent; given up"),
            },
        }
        Ok(())
    }
}

/// A 5xx answer is final; anything else (a 4xx answer, a connection or TLS failure, a
/// timeout) may pass.
fn failure(error: &SmtpError) -> Failure {
    if error.is_permanent() { Failure::Permanent } else { Failure::Transient }
}

/// `"{site name}" <newsroom@{site host}>`, or `newsroom@localhost` when the site's host is
/// not a domain name.
fn default_from(site: &Site) -> Mailbox {
    let host = match url::Url::parse(&site.url).ok().as_ref().and_then(url::Url::host) {
        Some(url::Host::Domain(domain)) => domain.to_ascii_lowercase(),
        _ => "localhost".to_owned(),
    };
    let address = Address::new("newsroom", &host)
        .or_else(|_| Address::new("newsroom", "localhost"))
        .expect("newsroom@localhost is an address");
    Mailbox::new(Some(site.name.clone()).filter(|name| !name.trim().is_empty()), address)
}

/// Sends due emails now and then every `mailer.every`, until `stop` is cancelled. A try
/// under way when it is finishes first (at most the SMTP timeout); claimed emails not
/// tried yet are left to their claims.
pub async fn run(db: DatabaseConnection, mailer: Mailer, stop: CancellationToken) {
    let mut ticks = tokio::time::interval(mailer.every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            () = stop.cancelled() => break,
            _ = ticks.tick() => {}
        }
        if let Err(error) = send_due(&db, &mailer, &stop).await {
            tracing::warn!(%error, "could not send the outbox");
        }
    }
    tracing::debug!("the outbox sender stopped");
}

/// Claims and tries the due emails, batch after batch while batches come full and some
/// of them go out.
async fn send_due(db: &DatabaseConnection, mailer: &Mailer, stop: &CancellationToken) -> domain::Result<()> {
    loop {
        let due = outbox::due(db, domain::now(), BATCH).await?;
        let mut tried = 0;
        for id in &due {
            if stop.is_cancelled() {
                return Ok(());
            }
            // Another instance may have taken it since.
            let Some(email) = outbox::claim(db, *id, domain::now()).await? else {
                continue;
            };
            mailer.deliver(db, &email).await?;
            tried += 1;
        }
        if (due.len() as u64) < BATCH || tried == 0 {
            return Ok(());
        }
    }
}
