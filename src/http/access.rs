//! Who may see what. The facts are about vulnerable people's care: pseudonymised, but still
//! sensitive. Every API call carries `Authorization: Bearer <token>` unless the listener is on
//! loopback (then a call without a token sees the whole region). Tokens are never stored: the
//! configuration holds their SHA-256 (hex) with a [`Scope`]; `ijwmo token` makes one.

use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;

/// What a token may see.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Everything (the region's analysts).
    Regio,
    /// One municipality (CBS code): its allocations, its costs (what it pays) and the
    /// obligations owed to or by it.
    Gemeente(String),
    /// One provider (AGB code): its own figures, beside the regional median.
    Aanbieder(String),
}

impl Scope {
    /// `regio`, `gemeente:<4 digits>` or `aanbieder:<8 digits>`.
    pub fn parse(text: &str) -> Result<Scope, String> {
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        match text.split_once(':') {
            None if text == "regio" => Ok(Scope::Regio),
            Some(("gemeente", code)) if digits(code, 4) => Ok(Scope::Gemeente(code.into())),
            Some(("aanbieder", agb)) if digits(agb, 8) => Ok(Scope::Aanbieder(agb.into())),
            _ => Err(format!(
                "scope {text:?}: use regio, gemeente:<4-digit code> or aanbieder:<8-digit AGB>"
            )),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Regio => f.write_str("regio"),
            Scope::Gemeente(c) => write!(f, "gemeente:{c}"),
            Scope::Aanbieder(a) => write!(f, "aanbieder:{a}"),
        }
    }
}

/// One configured token: the SHA-256 of the token (64 hex digits) and its scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    pub sha256: String,
    pub scope: String,
    /// Who holds it (for the operator; never checked).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
}

/// SHA-256 of a token, lower-case hex: what the configuration holds.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random token (32 bytes, hex) and its hash.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

/// `HASH=SCOPE` pairs separated by commas (the form of `IJWMO_HTTP_TOKENS`).
pub fn parse_token_list(text: &str) -> Result<Vec<TokenConfig>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (hash, scope) = pair
                .split_once('=')
                .ok_or_else(|| "each token is HASH=SCOPE".to_string())?;
            Ok(TokenConfig {
                sha256: hash.trim().to_string(),
                scope: scope.trim().to_string(),
                name: String::new(),
            })
        })
        .collect()
}

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// No token where one is required, or an unknown one (401).
    Unauthenticated(&'static str),
}

/// The configured tokens and whether calls without one are let in.
#[derive(Debug, Clone, Default)]
pub struct Access {
    tokens: HashMap<String, Scope>,
    /// True on a loopback listener: no token means the whole region.
    pub open_without_token: bool,
}

impl Access {
    /// Checks every configured token (hash form and scope).
    pub fn new(tokens: &[TokenConfig], open_without_token: bool) -> Result<Access, String> {
        let mut map = HashMap::new();
        for t in tokens {
            let hash = t.sha256.to_ascii_lowercase();
            if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!(
                    "token hash {:?}: expected 64 hex digits (the SHA-256 of the token; `ijwmo token` makes one)",
                    t.sha256
                ));
            }
            map.insert(hash, Scope::parse(&t.scope)?);
        }
        Ok(Access {
            tokens: map,
            open_without_token,
        })
    }

    /// The scope of a request from its `Authorization` header.
    pub fn scope(&self, authorization: Option<&str>) -> Result<Scope, Denied> {
        let Some(header) = authorization else {
            return if self.open_without_token {
                Ok(Scope::Regio)
            } else {
                Err(Denied::Unauthenticated("a bearer token is required"))
            };
        };
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or(Denied::Unauthenticated(
                "the Authorization header must be `Bearer <token>`",
            ))?;
        self.tokens
            .get(&token_hash(token))
            .cloned()
            .ok_or(Denied::Unauthenticated("unknown token"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_print_back() {
        for s in ["regio", "gemeente:0627", "aanbieder:12345678"] {
            assert_eq!(Scope::parse(s).unwrap().to_string(), s);
        }
        for bad in [
            "",
            "gemeente:627",
            "aanbieder:1234",
            "land",
            "gemeente:06a7",
        ] {
            assert!(Scope::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tokens_are_checked_by_their_hash() {
        let (token, hash) = new_token();
        let access = Access::new(
            &parse_token_list(&format!("{hash}=gemeente:0627")).unwrap(),
            false,
        )
        .unwrap();
        let header = format!("Bearer {token}");
        assert_eq!(
            access.scope(Some(&header)),
            Ok(Scope::Gemeente("0627".into()))
        );
        assert!(access.scope(Some("Bearer nope")).is_err());
        assert!(access.scope(None).is_err());
        assert!(access.scope(Some(&token)).is_err());
        let open = Access::new(&[], true).unwrap();
        assert_eq!(open.scope(None), Ok(Scope::Regio));
        assert!(Access::new(&parse_token_list("abc=regio").unwrap(), true).is_err());
    }
}
