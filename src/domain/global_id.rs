//! Opaque global ids: `base64url("Kind:id")`. The API hands them out, and article bodies
//! name stored images by them (`![alt](image:ID)`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Article,
    Section,
    Image,
    Author,
    Tag,
    Comment,
    User,
    Correction,
    AuditEntry,
    LiveEntry,
    Webhook,
    WebhookDelivery,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Article => "Article",
            Kind::Section => "Section",
            Kind::Image => "Image",
            Kind::Author => "Author",
            Kind::Tag => "Tag",
            Kind::Comment => "Comment",
            Kind::User => "User",
            Kind::Correction => "Correction",
            Kind::AuditEntry => "AuditEntry",
            Kind::LiveEntry => "LiveEntry",
            Kind::Webhook => "Webhook",
            Kind::WebhookDelivery => "WebhookDelivery",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        [
            Kind::Article,
            Kind::Section,
            Kind::Image,
            Kind::Author,
            Kind::Tag,
            Kind::Comment,
            Kind::User,
            Kind::Correction,
            Kind::AuditEntry,
            Kind::LiveEntry,
            Kind::Webhook,
            Kind::WebhookDelivery,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }
}

pub fn encode(kind: Kind, id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.name()))
}

/// The kind and database id behind a global id, or `None` for anything else.
pub fn decode(id: &str) -> Option<(Kind, i64)> {
    let bytes = URL_SAFE_NO_PAD.decode(id.trim_end_matches('=')).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (kind, number) = text.split_once(':')?;
    let number = number.parse::<i64>().ok().filter(|n| *n > 0)?;
    Some((Kind::from_name(kind)?, number))
}
