//! Who is calling: tokens, passwords, and turning a bearer token into a `Viewer`.

pub mod password;
pub mod token;

use entity::article::AccessLevel;
use entity::user;
use sea_orm::DatabaseConnection;

use crate::domain::{Error, Result, Viewer, settings, users};
pub use token::{Claims, Identity, OutsideKey, Subject, TokenError, TokenService};

/// The viewer a bearer token stands for. The account must still exist and hold at least
/// the role the token claims, so deleting or demoting a user takes effect at once. An
/// outside token names its account by email address; without a `role` claim it acts with
/// the account's role. Readers and partners have no account: their token alone says who
/// they are.
pub async fn authenticate(db: &DatabaseConnection, tokens: &TokenService, bearer: &str) -> Result<Viewer> {
    let identity = tokens.verify(bearer).map_err(|e| Error::Unauthenticated(e.to_string()))?;
    match identity.subject {
        Subject::Reader(_) => return reader(identity.access.as_deref()),
        Subject::Partner(_) => return Ok(Viewer::Partner),
        Subject::Id(_) | Subject::Email(_) => {}
    }
    let claimed = match &identity.role {
        // The claimed name is not echoed: it could be anything, of any length.
        Some(name) => Some(
            token::parse_role(name)
                .ok_or_else(|| Error::Unauthenticated("the token claims a role this newsroom does not know".into()))?,
        ),
        None => None,
    };
    let user = match &identity.subject {
        Subject::Id(id) => users::find(db, *id).await?,
        // No stored address holds a NUL, and PostgreSQL could not even look one up.
        Subject::Email(email) if email.contains('\0') => None,
        Subject::Email(email) => users::find_by_email(db, email).await?,
        Subject::Reader(_) | Subject::Partner(_) => None,
    };
    let Some(user) = user else {
        return Err(Error::Unauthenticated("the token's user does not exist".into()));
    };
    match claimed {
        Some(role) if role > user.role => {
            Err(Error::Unauthenticated("the token claims a role its user no longer has".into()))
        }
        claimed => Ok(Viewer::User { id: user.id, role: claimed.unwrap_or(user.role) }),
    }
}

/// A reader's viewer: the access their token grants. A signed-in reader whose token
/// claims none is registered.
fn reader(access: Option<&str>) -> Result<Viewer> {
    let access = match access {
        None => AccessLevel::Registered,
        // The claimed name is not echoed, as with roles.
        Some(name) => token::parse_access(name)
            .ok_or_else(|| Error::Unauthenticated("the token claims an access this newsroom does not know".into()))?,
    };
    Ok(Viewer::Reader { access })
}

pub struct Session {
    pub token: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub user: user::Model,
}

/// Signs a user in with email and password. The answer for an unknown email and for a
/// wrong password is the same, and takes about as long.
pub async fn login(
    db: &DatabaseConnection,
    tokens: &TokenService,
    ttl: std::time::Duration,
    email: &str,
    password: &str,
) -> Result<Session> {
    let found = users::find_by_email(db, email).await?;
    let hash = found.as_ref().and_then(|u| u.password_hash.clone());
    let matches = password::verify_blocking(password.to_owned(), hash).await;
    match found {
        Some(user) if matches => {
            let (token, expires_at) = tokens.issue(user.id, user.role, ttl);
            Ok(Session { token, expires_at, user })
        }
        _ => Err(Error::Unauthenticated("email or password is wrong".into())),
    }
}

pub const MIN_SECRET_LEN: usize = 32;

/// The HS256 secret: the configured one, or one generated at first start and kept in the
/// database so that tokens outlive restarts and `newsroom token` signs with the same key.
pub async fn signing_secret(db: &DatabaseConnection, configured: Option<&str>) -> Result<Vec<u8>, SecretError> {
    if let Some(secret) = configured {
        if secret.len() < MIN_SECRET_LEN {
            return Err(SecretError::TooShort);
        }
        return Ok(secret.as_bytes().to_vec());
    }
    let generated = settings::get_or_create(db, "jwt_secret", || {
        use base64::Engine;
        let bytes: [u8; 48] = rand::random();
        base64::engine::general_purpose::STANDARD.encode(bytes)
    })
    .await?;
    Ok(generated.into_bytes())
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("NEWSROOM_JWT_SECRET must be at least {MIN_SECRET_LEN} characters long")]
    TooShort,
    #[error("cannot read the token secret from the database: {0}")]
    Storage(#[from] Error),
}
