//! Opaque global ids: `base64url("Kind:id")`, resolved by `Query.node`.

use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::domain::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Article,
    Section,
    Image,
    Author,
    Tag,
    Comment,
    User,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Article => "Article",
            Kind::Section => "Section",
            Kind::Image => "Image",
            Kind::Author => "Author",
            Kind::Tag => "Tag",
            Kind::Comment => "Comment",
            Kind::User => "User",
        }
    }

    fn from_name(name: &str) -> Option<Kind> {
        [Kind::Article, Kind::Section, Kind::Image, Kind::Author, Kind::Tag, Kind::Comment, Kind::User]
            .into_iter()
            .find(|k| k.name() == name)
    }
}

pub fn encode(kind: Kind, id: i64) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.name())))
}

/// The kind and database id behind a global id, or `None` for anything else.
pub fn decode(id: &str) -> Option<(Kind, i64)> {
    let bytes = URL_SAFE_NO_PAD.decode(id.trim_end_matches('=')).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (kind, number) = text.split_once(':')?;
    let number = number.parse::<i64>().ok().filter(|n| *n > 0)?;
    Some((Kind::from_name(kind)?, number))
}

/// The database id of a global id that must be of `kind`; `field` names the argument in
/// the error.
pub fn decode_as(kind: Kind, field: &str, id: &str) -> Result<i64, Error> {
    match decode(id) {
        Some((found, number)) if found == kind => Ok(number),
        Some((found, _)) => {
            Err(Error::bad_input(field, format!("is the id of a {}, not of a {}", found.name(), kind.name())))
        }
        None => Err(Error::bad_input(field, "is not a valid id")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_garbage_is_refused() {
        let id = encode(Kind::Image, 1);
        assert_eq!(id.as_str(), "SW1hZ2U6MQ");
        assert_eq!(decode(&id), Some((Kind::Image, 1)));
        for bad in ["", "1", "!!", "QXJ0aWNsZTp4", "Rm9vOjE"] {
            assert_eq!(decode(bad), None, "{bad}");
        }
        assert!(decode_as(Kind::Article, "id", &id).is_err());
    }
}
