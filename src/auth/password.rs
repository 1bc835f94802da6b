//! Argon2id password hashes in PHC string format.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};

pub const MIN_PASSWORD_LEN: usize = 8;

pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing with default parameters does not fail")
        .to_string()
}

pub fn verify(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Verifies on a blocking thread (argon2 takes tens of milliseconds of CPU). Without a
/// stored hash it still hashes once, so an unknown account answers as slowly as a known one.
pub async fn verify_blocking(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match hash {
        Some(hash) => verify(&password, &hash),
        None => {
            let _ = self::hash(&password);
            false
        }
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_verify_and_differ() {
        let first = super::hash("correct horse");
        assert!(super::verify("correct horse", &first));
        assert!(!super::verify("wrong horse", &first));
        assert!(!super::verify("correct horse", "not a hash"));
        assert_ne!(first, super::hash("correct horse"));
    }
}
