use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{SecondsFormat, Utc};

/// RFC 3339 date-time in UTC, written with a `Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime(pub chrono::DateTime<Utc>);

/// RFC 3339 date-time in UTC, e.g. 2024-08-14T09:30:00Z
#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => chrono::DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|at| at.to_utc())
                // Outside these years the text form does not sort as time does.
                .filter(|at| (1..=9999).contains(&chrono::Datelike::year(at)))
                .map(DateTime)
                .ok_or_else(|| {
                    InputValueError::custom(format!(
                        "{text:?} is not an RFC 3339 date-time in the years 1 to 9999, like 2024-08-14T09:30:00Z"
                    ))
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(at: chrono::DateTime<Utc>) -> Self {
        DateTime(at)
    }
}
