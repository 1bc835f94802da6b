//! Opaque global ids as the API hands them out (`ID`), resolved by `Query.node`.

use async_graphql::ID;

use crate::domain::Error;

pub use crate::domain::global_id::{Kind, decode};

pub fn encode(kind: Kind, id: i64) -> ID {
    ID(crate::domain::global_id::encode(kind, id))
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
