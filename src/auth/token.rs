//! HS256 JSON Web Tokens: explicit algorithm, and `exp`, `iss`, `aud` and `sub` required.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::user::Role;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: String,
    pub role: String,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid: {0}")]
    Invalid(&'static str),
}

pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Preview links carry their own audience, so they never pass as a sign-in token.
    preview_validation: Validation,
    issuer: String,
    audience: String,
}

impl TokenService {
    pub fn new(secret: &[u8], issuer: &str, audience: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 30;
        let mut preview_validation = validation.clone();
        preview_validation.set_audience(&[preview_audience(audience)]);
        TokenService {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            preview_validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        }
    }

    /// A token for `user_id` acting as `role`, valid for `ttl` (at most ten years).
    pub fn issue(&self, user_id: i64, role: Role, ttl: Duration) -> (String, DateTime<Utc>) {
        let now = crate::domain::now();
        let ttl = chrono::Duration::from_std(ttl.min(crate::config::MAX_DURATION)).unwrap_or(chrono::Duration::zero());
        let expires_at = now.checked_add_signed(ttl).unwrap_or(now);
        let claims = Claims {
            sub: user_id.to_string(),
            role: role_name(role).to_owned(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: expires_at.timestamp(),
            iat: now.timestamp(),
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
        let claims = jsonwebtoken::decode::<PreviewClaims>(token, &self.decoding, &self.preview_validation)
            .map(|data| data.claims)
            .map_err(token_error)?;
        claims.sub.strip_prefix("article:").and_then(|id| id.parse().ok()).ok_or(TokenError::Invalid("not a preview"))
    }

    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(token_error)
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
        let claims = service().verify(&token).unwrap();
        assert_eq!((claims.sub.as_str(), claims.role.as_str()), ("7", "EDITOR"));
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
