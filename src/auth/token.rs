//! JSON Web Tokens. Our own are HS256 with `exp`, `iss`, `aud` and `sub` required; tokens
//! of an outside identity provider are checked with its public key when one is configured.
//!
//! The `alg` a token names only picks among the configured keys, each bound to one
//! algorithm: `none`, another algorithm, or a key of one family used as the secret of
//! another is refused before any signature is checked.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::article::AccessLevel;
use entity::user::Role;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// Longest bearer token looked at; anything longer is refused unread. Ours are about 250
/// bytes, and identity providers' rarely pass 2 KiB.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// Seconds a token may be past its `exp`, or before its `nbf`, for clocks that disagree.
pub const LEEWAY_SECONDS: u64 = 30;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id; in a reader's token, whatever names the reader at the publisher; in
    /// a partner's token, the partner's name.
    pub sub: String,
    pub role: String,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    /// In a reader's token: the access it grants (FREE, REGISTERED or SUBSCRIBER).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<String>,
}

/// The claims of an outside identity provider's token that name the caller; `exp`, `iss`,
/// `aud` and `sub` are checked by the validation.
#[derive(Debug, Clone, Deserialize)]
struct OutsideClaims {
    /// The email address of a newsroom account; for a reader, anything that names them.
    sub: String,
    role: Option<String>,
    access: Option<String>,
}

/// Whom a verified token names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A user id, as in our own tokens.
    Id(i64),
    /// An email address, as in an outside identity provider's tokens.
    Email(String),
    /// A reader, who has no account here: the token's `sub`, as given.
    Reader(String),
    /// A syndication partner, who has no account here either: the partner's name, as
    /// `newsroom token --role partner` wrote it. Only our own tokens name partners.
    Partner(String),
}

/// What a verified token says about its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub subject: Subject,
    /// The role the token claims, as written; outside tokens may claim none.
    pub role: Option<String>,
    /// The access a reader's token grants, as written.
    pub access: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid: {0}")]
    Invalid(&'static str),
}

/// A public key that cannot verify outside tokens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("holds a private key; give the identity provider's public key")]
    Private,
    #[error("is not a PEM public key (`-----BEGIN PUBLIC KEY-----`) of RSA, EC P-256/P-384 or Ed25519")]
    NotAPublicKey,
    #[error("is {key}, which cannot verify {algorithm:?} signatures")]
    WrongAlgorithm { key: &'static str, algorithm: Algorithm },
}

/// The public key of an outside identity provider and the one algorithm it verifies.
pub struct OutsideKey {
    decoding: DecodingKey,
    algorithm: Algorithm,
    validation: Validation,
}

impl OutsideKey {
    /// Reads a PEM public key. Without `algorithm` the key decides: RS256 for RSA, ES256 or
    /// ES384 for a P-256 or P-384 curve, EdDSA for Ed25519.
    pub fn from_pem(pem: &[u8], algorithm: Option<Algorithm>, issuer: &str, audience: &str) -> Result<Self, KeyError> {
        let text = String::from_utf8_lossy(pem);
        if text.contains("PRIVATE KEY-----") {
            return Err(KeyError::Private);
        }
        if !text.contains("-----BEGIN PUBLIC KEY-----") && !text.contains("-----BEGIN RSA PUBLIC KEY-----") {
            return Err(KeyError::NotAPublicKey);
        }
        let (decoding, key, natural) = if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
            (key, "an RSA key", Algorithm::RS256)
        } else if let Ok(key) = DecodingKey::from_ec_pem(pem) {
            // The key is the curve point, uncompressed: 65 bytes on P-256, 97 on P-384.
            match key.try_get_as_bytes().map(<[u8]>::len) {
                Ok(65) => (key, "a P-256 key", Algorithm::ES256),
                Ok(97) => (key, "a P-384 key", Algorithm::ES384),
                _ => return Err(KeyError::NotAPublicKey),
            }
        } else if let Ok(key) = DecodingKey::from_ed_pem(pem) {
            (key, "an Ed25519 key", Algorithm::EdDSA)
        } else {
            return Err(KeyError::NotAPublicKey);
        };
        let algorithm = algorithm.unwrap_or(natural);
        // RSA keys serve RS* and PS* alike; a curve serves only its own ES algorithm.
        let fits = match decoding.family() {
            AlgorithmFamily::Rsa => algorithm.family() == AlgorithmFamily::Rsa,
            _ => algorithm == natural,
        };
        if !fits {
            return Err(KeyError::WrongAlgorithm { key, algorithm });
        }
        Ok(OutsideKey { decoding, algorithm, validation: strict_validation(algorithm, issuer, audience) })
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

fn strict_validation(algorithm: Algorithm, issuer: &str, audience: &str) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.validate_nbf = true;
    validation.leeway = LEEWAY_SECONDS;
    validation
}

pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Preview links carry their own audience, so they never pass as a sign-in token.
    preview_validation: Validation,
    issuer: String,
    audience: String,
    outside: Option<OutsideKey>,
}

impl TokenService {
    pub fn new(secret: &[u8], issuer: &str, audience: &str) -> Self {
        let validation = strict_validation(Algorithm::HS256, issuer, audience);
        let mut preview_validation = validation.clone();
        preview_validation.set_audience(&[preview_audience(audience)]);
        TokenService {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            preview_validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            outside: None,
        }
    }

    /// Also accepts the tokens that `key` verifies.
    pub fn with_outside_key(mut self, key: OutsideKey) -> Self {
        self.outside = Some(key);
        self
    }

    /// A token for `user_id` acting as `role`, valid for `ttl` (at most ten years).
    pub fn issue(&self, user_id: i64, role: Role, ttl: Duration) -> (String, DateTime<Utc>) {
        self.sign(user_id.to_string(), role_name(role), None, ttl)
    }

    /// A token for a reader named `sub` (no account needed) with `access`, valid for `ttl`
    /// (at most ten years): what a publisher's sign-in would hand a subscriber, for a
    /// script or a test.
    pub fn issue_reader(&self, sub: &str, access: AccessLevel, ttl: Duration) -> (String, DateTime<Utc>) {
        self.sign(sub.to_owned(), READER, Some(access_name(access)), ttl)
    }

    /// A token for the syndication partner named `sub` (no account needed), valid for
    /// `ttl` (at most ten years): it reads every paywalled body, and the ninjs documents of
    /// published articles, those under embargo included.
    pub fn issue_partner(&self, sub: &str, ttl: Duration) -> (String, DateTime<Utc>) {
        self.sign(sub.to_owned(), PARTNER, None, ttl)
    }

    fn sign(&self, sub: String, role: &str, access: Option<&str>, ttl: Duration) -> (String, DateTime<Utc>) {
        let now = crate::domain::now();
        let ttl = chrono::Duration::from_std(ttl.min(crate::config::MAX_DURATION)).unwrap_or(chrono::Duration::zero());
        let expires_at = now.checked_add_signed(ttl).unwrap_or(now);
        let claims = Claims {
            sub,
            role: role.to_owned(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: expires_at.timestamp(),
            iat: now.timestamp(),
            access: access.map(str::to_owned),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing with an in-memory key does not fail");
        (token, expires_at)
    }

    /// A token that shows article `article_id` to whoever holds it, until it expires.
    pub fn issue_preview(&self, article_id: i64, ttl: Duration) -> (String, DateTime<Utc>) {
        let now = crate::domain::now();
        let ttl = chrono::Duration::from_std(ttl.min(crate::config::MAX_DURATION)).unwrap_or(chrono::Duration::zero());
        let expires_at = now.checked_add_signed(ttl).unwrap_or(now);
        let claims = PreviewClaims {
            sub: format!("article:{article_id}"),
            iss: self.issuer.clone(),
            aud: preview_audience(&self.audience),
            exp: expires_at.timestamp(),
            iat: now.timestamp(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing with an in-memory key does not fail");
        (token, expires_at)
    }

    /// The article a preview token shows.
    pub fn verify_preview(&self, token: &str) -> Result<i64, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Invalid("too long"));
        }
        let claims = jsonwebtoken::decode::<PreviewClaims>(token, &self.decoding, &self.preview_validation)
            .map(|data| data.claims)
            .map_err(token_error)?;
        claims.sub.strip_prefix("article:").and_then(|id| id.parse().ok()).ok_or(TokenError::Invalid("not a preview"))
    }

    /// Checks a sign-in token: ours (HS256, `sub` a user id, or a reader's or partner's
    /// name) or, when an outside key is configured, the identity provider's (`sub` an
    /// email address, or a reader's name). A partner's token must be ours: an outside one
    /// claiming the role is refused.
    pub fn verify(&self, token: &str) -> Result<Identity, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Invalid("too long"));
        }
        let header = jsonwebtoken::decode_header(token).map_err(token_error)?;
        if header.alg == Algorithm::HS256 {
            let claims =
                jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map_err(token_error)?.claims;
            if is_reader(Some(&claims.role)) {
                return Ok(Identity {
                    subject: Subject::Reader(claims.sub),
                    role: Some(claims.role),
                    access: claims.access,
                });
            }
            if is_partner(Some(&claims.role)) {
                return Ok(Identity { subject: Subject::Partner(claims.sub), role: Some(claims.role), access: None });
            }
            let id = claims.sub.parse().map_err(|_| TokenError::Invalid("the subject is not a user id"))?;
            return Ok(Identity { subject: Subject::Id(id), role: Some(claims.role), access: claims.access });
        }
        match &self.outside {
            Some(outside) if outside.algorithm == header.alg => {
                let claims = jsonwebtoken::decode::<OutsideClaims>(token, &outside.decoding, &outside.validation)
                    .map_err(token_error)?
                    .claims;
                if is_partner(claims.role.as_deref()) {
                    return Err(TokenError::Invalid("partner tokens are issued by this newsroom only"));
                }
                let subject = if is_reader(claims.role.as_deref()) {
                    Subject::Reader(claims.sub)
                } else {
                    Subject::Email(claims.sub)
                };
                Ok(Identity { subject, role: claims.role, access: claims.access })
            }
            _ => Err(TokenError::Invalid("algorithm not allowed")),
        }
    }
}

fn preview_audience(audience: &str) -> String {
    format!("{audience}#preview")
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PreviewClaims {
    sub: String,
    iss: String,
    aud: String,
    exp: i64,
    iat: i64,
}

fn token_error(e: jsonwebtoken::errors::Error) -> TokenError {
    match e.kind() {
        ErrorKind::ExpiredSignature => TokenError::Expired,
        ErrorKind::InvalidSignature => TokenError::Invalid("bad signature"),
        ErrorKind::InvalidIssuer => TokenError::Invalid("wrong issuer"),
        ErrorKind::InvalidAudience => TokenError::Invalid("wrong audience"),
        ErrorKind::ImmatureSignature => TokenError::Invalid("not valid yet"),
        ErrorKind::InvalidAlgorithm => TokenError::Invalid("algorithm not allowed"),
        ErrorKind::MissingRequiredClaim(_) => TokenError::Invalid("a required claim is missing"),
        _ => TokenError::Invalid("malformed"),
    }
}

/// The role a reader's token claims.
pub const READER: &str = "READER";

/// Whether a token's role claim names a reader.
pub fn is_reader(role: Option<&str>) -> bool {
    role.is_some_and(|role| role.eq_ignore_ascii_case(READER))
}

/// The role a syndication partner's token claims.
pub const PARTNER: &str = "PARTNER";

/// Whether a token's role claim names a syndication partner.
pub fn is_partner(role: Option<&str>) -> bool {
    role.is_some_and(|role| role.eq_ignore_ascii_case(PARTNER))
}

pub fn access_name(access: AccessLevel) -> &'static str {
    match access {
        AccessLevel::Free => "FREE",
        AccessLevel::Registered => "REGISTERED",
        AccessLevel::Subscriber => "SUBSCRIBER",
    }
}

pub fn parse_access(name: &str) -> Option<AccessLevel> {
    match name.to_ascii_uppercase().as_str() {
        "FREE" => Some(AccessLevel::Free),
        "REGISTERED" => Some(AccessLevel::Registered),
        "SUBSCRIBER" => Some(AccessLevel::Subscriber),
        _ => None,
    }
}

pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Contributor => "CONTRIBUTOR",
        Role::Editor => "EDITOR",
        Role::Admin => "ADMIN",
    }
}

pub fn parse_role(name: &str) -> Option<Role> {
    match name.to_ascii_uppercase().as_str() {
        "CONTRIBUTOR" => Some(Role::Contributor),
        "EDITOR" => Some(Role::Editor),
        "ADMIN" => Some(Role::Admin),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> TokenService {
        TokenService::new(b"a test secret of enough length!!", "newsroom", "newsroom")
    }

    #[test]
    fn a_signed_token_verifies() {
        let (token, _) = service().issue(7, Role::Editor, Duration::from_secs(60));
        let identity = service().verify(&token).unwrap();
        assert_eq!(identity, Identity { subject: Subject::Id(7), role: Some("EDITOR".into()), access: None });
    }

    #[test]
    fn a_partner_token_names_the_partner_and_no_user() {
        let (token, _) = service().issue_partner("Wire Service Ltd", Duration::from_secs(60));
        let identity = service().verify(&token).unwrap();
        assert_eq!(
            identity,
            Identity {
                subject: Subject::Partner("Wire Service Ltd".into()),
                role: Some("PARTNER".into()),
                access: None
            }
        );
        assert_eq!(parse_role("partner"), None, "a partner is no staff role");
    }

    #[test]
    fn other_secrets_issuers_and_audiences_are_refused() {
        let (token, _) = service().issue(7, Role::Editor, Duration::from_secs(60));
        let other_secret = TokenService::new(b"another secret of enough length!", "newsroom", "newsroom");
        assert_eq!(other_secret.verify(&token), Err(TokenError::Invalid("bad signature")));
        let other_issuer = TokenService::new(b"a test secret of enough length!!", "elsewhere", "newsroom");
        assert_eq!(other_issuer.verify(&token), Err(TokenError::Invalid("wrong issuer")));
        let other_audience = TokenService::new(b"a test secret of enough length!!", "newsroom", "elsewhere");
        assert_eq!(other_audience.verify(&token), Err(TokenError::Invalid("wrong audience")));
    }

    #[test]
    fn preview_tokens_and_sign_in_tokens_do_not_mix() {
        let service = service();
        let (preview, _) = service.issue_preview(42, Duration::from_secs(600));
        assert_eq!(service.verify_preview(&preview), Ok(42));
        assert!(service.verify(&preview).is_err(), "a preview is no sign-in token");
        let (sign_in, _) = service.issue(7, Role::Editor, Duration::from_secs(600));
        assert_eq!(service.verify_preview(&sign_in), Err(TokenError::Invalid("wrong audience")));
    }

    #[test]
    fn expired_and_unsigned_tokens_are_refused() {
        let service = service();
        let expired = Claims {
            sub: "7".into(),
            role: "EDITOR".into(),
            iss: "newsroom".into(),
            aud: "newsroom".into(),
            exp: Utc::now().timestamp() - 3600,
            iat: Utc::now().timestamp() - 7200,
            access: None,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &expired, &service.encoding).unwrap();
        assert_eq!(service.verify(&token), Err(TokenError::Expired));

        let (valid, _) = service.issue(7, Role::Admin, Duration::from_secs(60));
        let payload = valid.split('.').nth(1).unwrap();
        for header in ["eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0", "eyJhbGciOiJOT05FIiwidHlwIjoiSldUIn0"] {
            assert!(service.verify(&format!("{header}.{payload}.")).is_err());
        }
    }
}
