//! Statements as SQL text plus values ([`Stmt`], [`Value`]), run on either backend's
//! connection ([`Conn`]), and the newtypes for the types the two databases store differently.

use crate::store::codec::{self, Fields};
use crate::store::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentValue, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};
use std::borrow::Cow;

/// A UTC timestamp: `timestamptz` on PostgreSQL; on SQLite RFC 3339 TEXT with six fraction
/// digits and `Z`, fixed width so that comparing text compares time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp(pub DateTime<Utc>);

/// A local date-time without zone (Toewijzingsdatum + Toewijzingstijd): `timestamp` on
/// PostgreSQL, ISO 8601 TEXT on SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment(pub NaiveDateTime);

/// A retour-code list: `text[]` on PostgreSQL, a JSON array (TEXT) on SQLite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Codes(pub Vec<String>);

const MOMENT: &str = "%Y-%m-%dT%H:%M:%S%.f";

impl Stamp {
    /// The SQLite text form.
    pub fn text(self) -> String {
        self.0.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    }
}

impl Moment {
    /// The SQLite text form.
    pub fn text(self) -> String {
        self.0.format(MOMENT).to_string()
    }
}

/// PostgreSQL stores the newtype as the type it wraps.
macro_rules! as_in_postgres {
    ($new:ident, $inner:ty) => {
        impl Type<Postgres> for $new {
            fn type_info() -> PgTypeInfo {
                <$inner as Type<Postgres>>::type_info()
            }
            fn compatible(ty: &PgTypeInfo) -> bool {
                <$inner as Type<Postgres>>::compatible(ty)
            }
        }
        impl Encode<'_, Postgres> for $new {
            fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
                Encode::<Postgres>::encode_by_ref(&self.0, buf)
            }
        }
        impl<'r> Decode<'r, Postgres> for $new {
            fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
                Ok($new(<$inner as Decode<Postgres>>::decode(value)?))
            }
        }
    };
}

as_in_postgres!(Stamp, DateTime<Utc>);
as_in_postgres!(Moment, NaiveDateTime);
as_in_postgres!(Codes, Vec<String>);

/// SQLite stores the newtype as TEXT: `show` writes it, `read` parses it back.
macro_rules! as_text_in_sqlite {
    ($new:ident, $show:expr, $read:expr) => {
        impl Type<Sqlite> for $new {
            fn type_info() -> SqliteTypeInfo {
                <String as Type<Sqlite>>::type_info()
            }
            fn compatible(ty: &SqliteTypeInfo) -> bool {
                <String as Type<Sqlite>>::compatible(ty)
            }
        }
        impl<'q> Encode<'q, Sqlite> for $new {
            fn encode_by_ref(
                &self,
                buf: &mut Vec<SqliteArgumentValue<'q>>,
            ) -> Result<IsNull, BoxDynError> {
                let show: fn(&$new) -> String = $show;
                Encode::<Sqlite>::encode(show(self), buf)
            }
        }
        impl<'r> Decode<'r, Sqlite> for $new {
            fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
                let read: fn(&str) -> Result<$new, BoxDynError> = $read;
                read(<&str as Decode<Sqlite>>::decode(value)?)
            }
        }
    };
}

as_text_in_sqlite!(Stamp, |t| t.text(), |s| {
    Ok(Stamp(DateTime::parse_from_rfc3339(s)?.with_timezone(&Utc)))
});
as_text_in_sqlite!(Moment, |m| m.text(), |s| {
    Ok(Moment(NaiveDateTime::parse_from_str(s, MOMENT)?))
});
as_text_in_sqlite!(
    Codes,
    |c| serde_json::to_string(&c.0).unwrap_or_default(),
    |s| { Ok(Codes(serde_json::from_str(s)?)) }
);

/// One value bound into shared SQL; each backend binds it in its own representation.
#[derive(Debug, Clone)]
pub enum Value<'a> {
    Text(Cow<'a, str>),
    OptText(Option<&'a str>),
    Int(i64),
    OptInt(Option<i64>),
    Flag(bool),
    OptFlag(Option<bool>),
    Date(NaiveDate),
    OptDate(Option<NaiveDate>),
    Moment(NaiveDateTime),
    Stamp(DateTime<Utc>),
    OptStamp(Option<DateTime<Utc>>),
    Codes(&'a [String]),
    Bytes(&'a [u8]),
}

macro_rules! value_from {
    ($($t:ty => $v:expr;)*) => {
        $(impl<'a> From<$t> for Value<'a> {
            fn from(x: $t) -> Value<'a> {
                let wrap: fn($t) -> Value<'a> = $v;
                wrap(x)
            }
        })*
    };
}

value_from! {
    &'a str => |s| Value::Text(Cow::Borrowed(s));
    &'a String => |s| Value::Text(Cow::Borrowed(s));
    String => |s| Value::Text(Cow::Owned(s));
    &'a Option<String> => |s| Value::OptText(s.as_deref());
    i64 => Value::Int;
    Option<i64> => Value::OptInt;
    bool => Value::Flag;
    Option<bool> => Value::OptFlag;
    NaiveDate => Value::Date;
    Option<NaiveDate> => Value::OptDate;
    NaiveDateTime => Value::Moment;
    DateTime<Utc> => Value::Stamp;
    Option<DateTime<Utc>> => Value::OptStamp;
    &'a Vec<String> => |c| Value::Codes(c);
    &'a Vec<u8> => |b| Value::Bytes(b);
}

/// SQL text with the values for its `$n` placeholders, in order.
#[derive(Debug, Clone)]
pub struct Stmt<'a> {
    sql: Cow<'a, str>,
    args: Vec<Value<'a>>,
}

impl<'a> Stmt<'a> {
    pub fn new(sql: impl Into<Cow<'a, str>>) -> Stmt<'a> {
        Stmt {
            sql: sql.into(),
            args: Vec::new(),
        }
    }

    pub fn bind(mut self, value: impl Into<Value<'a>>) -> Stmt<'a> {
        self.args.push(value.into());
        self
    }

    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// How many values are bound.
    pub fn len(&self) -> usize {
        self.args.len()
    }

    pub fn is_empty(&self) -> bool {
        self.args.is_empty()
    }
}

/// A backend's connection, running shared statements.
#[async_trait]
pub trait Conn: Send {
    type Row: Fields + Send + Sync;
    async fn execute(&mut self, s: Stmt<'_>) -> Result<u64, StoreError>;
    async fn fetch_all(&mut self, s: Stmt<'_>) -> Result<Vec<Self::Row>, StoreError>;
    async fn fetch_optional(&mut self, s: Stmt<'_>) -> Result<Option<Self::Row>, StoreError>;

    async fn fetch_one(&mut self, s: Stmt<'_>) -> Result<Self::Row, StoreError> {
        self.fetch_optional(s)
            .await?
            .ok_or(StoreError::Database(sqlx::Error::RowNotFound))
    }
}

/// [`Conn`] and [`Fields`] for one sqlx backend: the code is the same for both, only the types
/// differ (a generic version would repeat a bound per bound type on every function).
macro_rules! backend_conn {
    ($module:ident, $conn:ty, $db:ty, $row:ty) => {
        mod $module {
            use super::*;
            use sqlx::{Database, Row};

            type Query<'q> = sqlx::query::Query<'q, $db, <$db as Database>::Arguments<'q>>;

            fn bind<'q>(q: Query<'q>, value: Value<'q>) -> Query<'q> {
                match value {
                    Value::Text(v) => q.bind(v),
                    Value::OptText(v) => q.bind(v),
                    Value::Int(v) => q.bind(v),
                    Value::OptInt(v) => q.bind(v),
                    Value::Flag(v) => q.bind(v),
                    Value::OptFlag(v) => q.bind(v),
                    Value::Date(v) => q.bind(v),
                    Value::OptDate(v) => q.bind(v),
                    Value::Moment(v) => q.bind(Moment(v)),
                    Value::Stamp(v) => q.bind(Stamp(v)),
                    Value::OptStamp(v) => q.bind(v.map(Stamp)),
                    Value::Codes(v) => q.bind(Codes(v.to_vec())),
                    Value::Bytes(v) => q.bind(v),
                }
            }

            fn query<'q>(sql: &'q str, args: Vec<Value<'q>>) -> Query<'q> {
                args.into_iter().fold(sqlx::query(sql), bind)
            }

            #[async_trait]
            impl Conn for $conn {
                type Row = $row;

                async fn execute(&mut self, s: Stmt<'_>) -> Result<u64, StoreError> {
                    let done = query(&s.sql, s.args).execute(self).await?;
                    Ok(done.rows_affected())
                }

                async fn fetch_all(&mut self, s: Stmt<'_>) -> Result<Vec<$row>, StoreError> {
                    Ok(query(&s.sql, s.args).fetch_all(self).await?)
                }

                async fn fetch_optional(
                    &mut self,
                    s: Stmt<'_>,
                ) -> Result<Option<$row>, StoreError> {
                    Ok(query(&s.sql, s.args).fetch_optional(self).await?)
                }
            }

            fn get<'r, T>(row: &'r $row, col: &str) -> Result<T, StoreError>
            where
                T: Decode<'r, $db> + Type<$db>,
            {
                row.try_get(col).map_err(|e| codec::corrupt_column(col, e))
            }

            impl Fields for $row {
                fn text(&self, col: &str) -> Result<String, StoreError> {
                    get(self, col)
                }
                fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
                    get(self, col)
                }
                fn int(&self, col: &str) -> Result<i64, StoreError> {
                    get(self, col)
                }
                fn opt_int(&self, col: &str) -> Result<Option<i64>, StoreError> {
                    get(self, col)
                }
                fn flag(&self, col: &str) -> Result<bool, StoreError> {
                    get(self, col)
                }
                fn opt_flag(&self, col: &str) -> Result<Option<bool>, StoreError> {
                    get(self, col)
                }
                fn date(&self, col: &str) -> Result<NaiveDate, StoreError> {
                    get(self, col)
                }
                fn opt_date(&self, col: &str) -> Result<Option<NaiveDate>, StoreError> {
                    get(self, col)
                }
                fn moment(&self, col: &str) -> Result<NaiveDateTime, StoreError> {
                    get::<Moment>(self, col).map(|m| m.0)
                }
                fn timestamp(&self, col: &str) -> Result<DateTime<Utc>, StoreError> {
                    get::<Stamp>(self, col).map(|t| t.0)
                }
                fn opt_timestamp(&self, col: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
                    get::<Option<Stamp>>(self, col).map(|t| t.map(|t| t.0))
                }
                fn codes(&self, col: &str) -> Result<Vec<String>, StoreError> {
                    get::<Codes>(self, col).map(|c| c.0)
                }
            }
        }
    };
}

backend_conn!(
    postgres_conn,
    sqlx::PgConnection,
    Postgres,
    sqlx::postgres::PgRow
);
backend_conn!(
    sqlite_conn,
    sqlx::SqliteConnection,
    Sqlite,
    sqlx::sqlite::SqliteRow
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_text_forms_are_fixed_width_and_read_back() {
        let t = DateTime::parse_from_rfc3339("2025-03-04T05:06:07.123456Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("valid literal");
        assert_eq!(Stamp(t).text(), "2025-03-04T05:06:07.123456Z");
        let whole = DateTime::parse_from_rfc3339("2025-03-04T05:06:07Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("valid literal");
        assert_eq!(Stamp(whole).text(), "2025-03-04T05:06:07.000000Z");
        let m = NaiveDate::from_ymd_opt(2025, 1, 2)
            .and_then(|d| d.and_hms_opt(3, 4, 5))
            .expect("valid literal");
        assert_eq!(Moment(m).text(), "2025-01-02T03:04:05");
        assert_eq!(
            NaiveDateTime::parse_from_str(&Moment(m).text(), MOMENT).ok(),
            Some(m)
        );
        let f = m + chrono::TimeDelta::milliseconds(250);
        assert_eq!(
            NaiveDateTime::parse_from_str(&Moment(f).text(), MOMENT).ok(),
            Some(f)
        );
    }
}
