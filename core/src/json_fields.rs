//! How a request's JSON fields are read where serde's defaults and JSON Schema (the
//! OpenAPI document's language) disagree:
//!
//! - an integer is any JSON number with no fractional part: JSON Schema's `integer`
//!   admits `23.0` and `2.3e1`, so the API does too ([`integer`], [`optional_integer`]);
//! - an optional field is absent or a value, never `null`: serde would read `null` as
//!   absent, which the document does not allow ([`present`]).
//!
//! Use with `#[serde(default, deserialize_with = "...")]` on `Option` fields (serde
//! calls the function only when the field is present).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, Visitor};

const NULL: &str = "null is not allowed: leave the field out";

/// An optional field that is present: its value, or an error for `null`.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    match Option::<T>::deserialize(deserializer)? {
        Some(value) => Ok(Some(value)),
        None => Err(de::Error::custom(NULL)),
    }
}

struct IntegerVisitor<T>(PhantomData<T>);

impl<T> Visitor<'_> for IntegerVisitor<T>
where
    T: TryFrom<i64> + TryFrom<u64>,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an integer in the range of {}",
            std::any::type_name::<T>()
        )
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        let unexpected = || E::invalid_type(de::Unexpected::Float(v), &self);
        // Exactly representable integers only: past 2^53 a float is not one number.
        const EXACT: f64 = 9_007_199_254_740_992.0;
        if !v.is_finite() || v.fract() != 0.0 || v.abs() > EXACT {
            return Err(unexpected());
        }
        // In range and integral, so the cast is exact.
        #[allow(clippy::cast_possible_truncation)]
        let n = v as i64;
        T::try_from(n).map_err(|_| E::invalid_value(de::Unexpected::Float(v), &self))
    }
}

/// An integer field: `23`, `23.0` and `2.3e1` are all 23; `23.5` is an error.
pub fn integer<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64>,
{
    deserializer.deserialize_any(IntegerVisitor(PhantomData))
}

/// An optional integer field that is present ([`integer`], and never `null`).
pub fn optional_integer<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64>,
{
    struct Wrapped<T>(T);
    impl<'de, T: TryFrom<i64> + TryFrom<u64>> Deserialize<'de> for Wrapped<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            integer(d).map(Wrapped)
        }
    }
    present::<D, Wrapped<T>>(deserializer).map(|v| v.map(|w| w.0))
}

/// An optional time field (`sendAt`, `createdBefore`): RFC 3339 only (an offset is
/// required), kept in UTC; `null` is refused (leave the field out). For
/// `#[serde(default, with = "crate::json_fields::rfc3339")]`.
pub mod rfc3339 {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        at: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => serializer.serialize_str(&at.to_rfc3339_opts(SecondsFormat::Millis, true)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        // Called only when the field is present: `null` is not a time.
        let Some(s) = Option::<String>::deserialize(deserializer)? else {
            return Err(serde::de::Error::custom(
                "null is not allowed: leave the field out",
            ));
        };
        DateTime::parse_from_rfc3339(&s)
            .map(|at| Some(at.with_timezone(&Utc)))
            .map_err(|e| serde::de::Error::custom(format!("{s:?} is not an RFC 3339 time: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Fields {
        #[serde(deserialize_with = "super::integer")]
        count: u32,
        #[serde(default, deserialize_with = "super::optional_integer")]
        points: Option<i64>,
        #[serde(default, deserialize_with = "super::present")]
        name: Option<String>,
    }

    fn read(v: serde_json::Value) -> Result<Fields, String> {
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    #[test]
    fn integral_numbers_are_integers() {
        let f = read(json!({"count": 23.0, "points": -4e2})).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((f.count, f.points, f.name), (23, Some(-400), None));
        assert_eq!(read(json!({"count": 7})).map(|f| f.count), Ok(7));
        for bad in [
            json!(23.5),
            json!(-1),
            json!(4294967296u64),
            json!(1e300),
            json!("1"),
        ] {
            assert!(read(json!({"count": bad})).is_err(), "{bad}");
        }
        assert!(read(json!({"count": 1, "points": 0.5})).is_err());
    }

    #[test]
    fn null_is_not_absent() {
        assert!(read(json!({"count": 1, "name": null})).is_err());
        assert!(read(json!({"count": 1, "points": null})).is_err());
        assert_eq!(
            read(json!({"count": 1, "name": "x"})).map(|f| f.name),
            Ok(Some("x".into()))
        );
    }
}
