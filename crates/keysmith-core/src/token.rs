//! The token format: `ks_<kind>_<43 base62 chars of 32 random bytes>_<6 base62 chars of the
//! CRC32 of everything before it>`.
//!
//! The prefix tells secret scanners what they found; the checksum lets [`parse`] reject a
//! mistyped or made-up token without a database lookup. This module never stores anything.

use rand::{rngs::OsRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::secret::Secret;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Base62 digits needed for 32 bytes: 62^43 > 2^256.
const BODY_LEN: usize = 43;
/// Base62 digits needed for a CRC32: 62^6 > 2^32.
const CHECKSUM_LEN: usize = 6;
/// Characters of the body kept as a display hint, e.g. `ks_pat_a1B2…`.
const HINT_LEN: usize = 4;

/// What a token is for; its short form is the token's prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// A personal access token, held by one user, carrying the scopes picked for it.
    PersonalAccessToken,
    /// An API client: bound to a user, carrying exactly that user's permissions.
    ApiClient,
    /// The secret half of a client ID + client secret pair, bound to a user.
    ClientCredentials,
    /// A token of the organization rather than of a user (deprecated; behind a feature flag).
    OrganizationToken,
    /// A short-lived access token from the client-credentials exchange; never issued directly.
    AccessToken,
    /// A verifier key: lets a service call the local API (required when it listens beyond
    /// loopback). Grants no scopes and is used for no application.
    Verifier,
    /// An OAuth access token (1 hour), handed to an app a user granted access; never issued
    /// directly.
    #[serde(rename = "oauth_access_token")]
    OAuthAccessToken,
    /// An OAuth refresh token (rotating, 30 days); never issued directly.
    #[serde(rename = "oauth_refresh_token")]
    OAuthRefreshToken,
    /// The client secret of a confidential OAuth app, shown once when it is registered.
    #[serde(rename = "oauth_client_secret")]
    OAuthClientSecret,
}

impl TokenKind {
    /// Every kind, for parsing prefixes.
    pub const ALL: [TokenKind; 9] = [
        TokenKind::PersonalAccessToken,
        TokenKind::ApiClient,
        TokenKind::ClientCredentials,
        TokenKind::OrganizationToken,
        TokenKind::AccessToken,
        TokenKind::Verifier,
        TokenKind::OAuthAccessToken,
        TokenKind::OAuthRefreshToken,
        TokenKind::OAuthClientSecret,
    ];

    /// Whether credentials of this kind are issued (the rest are handed out by a flow).
    pub fn is_issued(self) -> bool {
        !matches!(
            self,
            TokenKind::AccessToken
                | TokenKind::OAuthAccessToken
                | TokenKind::OAuthRefreshToken
                | TokenKind::OAuthClientSecret
        )
    }

    /// Whether a credential of this kind must be issued with at least one scope: all that grant
    /// scopes of their own (an API client carries its owner's permissions, a verifier key none).
    pub fn needs_scopes(self) -> bool {
        matches!(
            self,
            TokenKind::PersonalAccessToken
                | TokenKind::ClientCredentials
                | TokenKind::OrganizationToken
        )
    }

    /// The prefix tag inside the token (`pat` in `ks_pat_…`).
    pub fn tag(self) -> &'static str {
        match self {
            TokenKind::PersonalAccessToken => "pat",
            TokenKind::ApiClient => "cli",
            TokenKind::ClientCredentials => "sec",
            TokenKind::OrganizationToken => "org",
            TokenKind::AccessToken => "acc",
            TokenKind::Verifier => "vfy",
            TokenKind::OAuthAccessToken => "oat",
            TokenKind::OAuthRefreshToken => "ort",
            TokenKind::OAuthClientSecret => "ocs",
        }
    }

    /// The stable name stored in the vault.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::PersonalAccessToken => "personal_access_token",
            TokenKind::ApiClient => "api_client",
            TokenKind::ClientCredentials => "client_credentials",
            TokenKind::OrganizationToken => "organization_token",
            TokenKind::AccessToken => "access_token",
            TokenKind::Verifier => "verifier",
            TokenKind::OAuthAccessToken => "oauth_access_token",
            TokenKind::OAuthRefreshToken => "oauth_refresh_token",
            TokenKind::OAuthClientSecret => "oauth_client_secret",
        }
    }

    /// The kind for a stored name.
    pub fn from_name(name: &str) -> Option<TokenKind> {
        TokenKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }

    fn from_tag(tag: &str) -> Option<TokenKind> {
        TokenKind::ALL.into_iter().find(|kind| kind.tag() == tag)
    }
}

/// A freshly generated token of `kind`.
pub fn generate(kind: TokenKind) -> Secret {
    let mut random = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(random.as_mut());
    let mut text = String::with_capacity(3 + 4 + BODY_LEN + 1 + CHECKSUM_LEN);
    text.push_str("ks_");
    text.push_str(kind.tag());
    text.push('_');
    push_base62(&mut text, random.as_ref(), BODY_LEN);
    let checksum = crc32fast::hash(text.as_bytes()).to_be_bytes();
    text.push('_');
    push_base62(&mut text, &checksum, CHECKSUM_LEN);
    Secret::new(text)
}

/// Base62 digits of a client ID's 16 random bytes: 62^22 > 2^128.
const CLIENT_ID_LEN: usize = RANDOM_ID_CHARS;
/// How many base62 characters follow the prefix of a random id or short secret
/// ([`random_id`], [`random_secret`]).
pub(crate) const RANDOM_ID_CHARS: usize = 22;

/// A fresh client ID, `ks_id_<22 base62 characters>`: an identifier, not a secret, so it is
/// stored and shown in clear.
pub fn generate_client_id() -> String {
    random_id("ks_id_")
}

/// Whether `text` has a client ID's shape (`ks_id_` and 22 base62 characters): anything else
/// names no client, and is refused before it is looked up or counted.
pub fn is_client_id(text: &str) -> bool {
    text.strip_prefix("ks_id_").is_some_and(|digits| {
        digits.len() == CLIENT_ID_LEN && digits.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// `prefix` followed by 22 base62 characters of 16 random bytes: a short-lived secret of 128
/// bits no one can guess (an OAuth authorization or device code), kept as its keyed digest.
pub(crate) fn random_secret(prefix: &str) -> Secret {
    Secret::new(random_id(prefix))
}

/// `prefix` followed by 22 base62 characters of 16 random bytes: an identifier no one can
/// guess or repeat (client IDs, webhook message ids), not a secret.
pub(crate) fn random_id(prefix: &str) -> String {
    let mut random = [0u8; 16];
    OsRng.fill_bytes(&mut random);
    let mut text = String::from(prefix);
    push_base62(&mut text, &random, RANDOM_ID_CHARS);
    text
}

/// A token whose shape and checksum are right. It may still be unknown to the vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WellFormed {
    /// The kind named by the prefix.
    pub kind: TokenKind,
}

/// Checks a token's prefix, length, alphabet and checksum. `None` means malformed.
pub fn parse(token: &str) -> Option<WellFormed> {
    let rest = token.strip_prefix("ks_")?;
    let (tag, rest) = rest.split_once('_')?;
    let kind = TokenKind::from_tag(tag)?;
    let (body, checksum) = rest.split_once('_')?;
    if body.len() != BODY_LEN || checksum.len() != CHECKSUM_LEN {
        return None;
    }
    if !body
        .bytes()
        .chain(checksum.bytes())
        .all(|b| b.is_ascii_alphanumeric())
    {
        return None;
    }
    let signed = &token[..token.len() - CHECKSUM_LEN - 1];
    let mut expected = [0u8; CHECKSUM_LEN];
    write_base62(
        &crc32fast::hash(signed.as_bytes()).to_be_bytes(),
        &mut expected,
    );
    // The checksum is public (it is part of the token), so a plain comparison is fine here.
    (expected == checksum.as_bytes()).then_some(WellFormed { kind })
}

/// The part of a token that may be shown again: prefix and the first body characters.
/// Call only on a well-formed token.
pub fn hint(token: &str) -> String {
    let body_start = token.match_indices('_').nth(1).map_or(0, |(i, _)| i + 1);
    let end = (body_start + HINT_LEN).min(token.len());
    format!("{}…", &token[..end])
}

/// Appends `bytes` (big-endian, at most 32) as exactly `width` (at most 43) base62 digits.
fn push_base62(out: &mut String, bytes: &[u8], width: usize) {
    let mut digits = Zeroizing::new([0u8; BODY_LEN]);
    write_base62(bytes, &mut digits[..width]);
    out.extend(digits[..width].iter().map(|&d| char::from(d)));
}

/// Writes `bytes` (big-endian, at most 32) as base62 digits filling `digits`, most significant
/// first. Works on the stack and wipes its scratch copy of the number.
fn write_base62(bytes: &[u8], digits: &mut [u8]) {
    let mut number = Zeroizing::new([0u8; 32]);
    let number = &mut number[..bytes.len()];
    number.copy_from_slice(bytes);
    for slot in digits.iter_mut().rev() {
        // Long division of the big-endian number by 62; the remainder is the next digit.
        let mut remainder = 0u32;
        for byte in number.iter_mut() {
            let value = (remainder << 8) | u32::from(*byte);
            *byte = (value / 62) as u8;
            remainder = value % 62;
        }
        *slot = ALPHABET[remainder as usize];
    }
    debug_assert!(
        number.iter().all(|&b| b == 0),
        "too few digits for the value"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn base62(bytes: &[u8], width: usize) -> String {
        let mut s = String::new();
        push_base62(&mut s, bytes, width);
        s
    }

    #[test]
    fn base62_known_values() {
        assert_eq!(base62(&[0, 0, 0, 0], 6), "000000");
        assert_eq!(base62(&[0, 0, 0, 61], 6), "00000z");
        assert_eq!(base62(&[0, 0, 0, 62], 6), "000010");
        assert_eq!(base62(&[0xff; 4], 6), "4gfFC3"); // 4294967295
        assert_eq!(base62(&[0xff; 32], 43).len(), 43);
    }

    #[test]
    fn generated_tokens_have_the_documented_shape() {
        let token = generate(TokenKind::PersonalAccessToken);
        let text = token.expose();
        assert!(text.starts_with("ks_pat_"));
        assert_eq!(text.len(), 7 + BODY_LEN + 1 + CHECKSUM_LEN);
        assert_eq!(
            parse(text),
            Some(WellFormed {
                kind: TokenKind::PersonalAccessToken
            })
        );
        assert_eq!(hint(text), format!("{}…", &text[..11]));
    }

    #[test]
    fn every_kind_round_trips_through_its_prefix_and_name() {
        for kind in TokenKind::ALL {
            let token = generate(kind);
            assert!(token.expose().starts_with(&format!("ks_{}_", kind.tag())));
            assert_eq!(parse(token.expose()), Some(WellFormed { kind }));
            assert_eq!(TokenKind::from_name(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn client_ids_are_distinct_and_never_parse_as_tokens() {
        let (a, b) = (generate_client_id(), generate_client_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 6 + CLIENT_ID_LEN);
        assert!(a.starts_with("ks_id_") && parse(&a).is_none());
        assert!(is_client_id(&a));
        for not_one in [
            &a[..a.len() - 1],
            &format!("{a}x"),
            &a.replace("ks_id_", "ks_ix_"),
            "",
        ] {
            assert!(!is_client_id(not_one), "{not_one}");
        }
        assert!(!is_client_id(&format!("ks_id_{}", "é".repeat(11))));
    }

    #[test]
    fn rejects_wrong_prefixes_and_lengths() {
        let good = generate(TokenKind::PersonalAccessToken).expose().to_owned();
        assert!(parse(&good.replacen("ks_", "kx_", 1)).is_none());
        assert!(parse(&good.replacen("_pat_", "_zzz_", 1)).is_none());
        assert!(parse(&good[..good.len() - 1]).is_none());
        assert!(parse(&format!("{good}0")).is_none());
        assert!(parse("").is_none());
        assert!(parse("ks_pat__").is_none());
    }

    proptest! {
        #[test]
        fn every_generated_token_parses(_seed in 0u8..255) {
            let token = generate(TokenKind::PersonalAccessToken);
            prop_assert!(parse(token.expose()).is_some());
        }

        #[test]
        fn changing_any_one_character_is_detected(index in 0usize..57, replacement in 0usize..62) {
            let token = generate(TokenKind::PersonalAccessToken).expose().to_owned();
            let index = index % token.len();
            let new_char = ALPHABET[replacement] as char;
            prop_assume!(token.as_bytes()[index] as char != new_char);
            let mut changed: Vec<char> = token.chars().collect();
            changed[index] = new_char;
            let changed: String = changed.into_iter().collect();
            prop_assert!(parse(&changed).is_none(), "{} accepted", changed);
        }

        #[test]
        fn base62_round_trips(bytes in proptest::array::uniform32(any::<u8>())) {
            let text = base62(&bytes, BODY_LEN);
            prop_assert_eq!(text.len(), BODY_LEN);
            // Decode back and compare: the encoding is a bijection on 32-byte values.
            let mut value = [0u8; 32];
            for digit in text.bytes() {
                let d = ALPHABET.iter().position(|&a| a == digit).unwrap() as u32;
                let mut carry = d;
                for byte in value.iter_mut().rev() {
                    let v = u32::from(*byte) * 62 + carry;
                    *byte = v as u8;
                    carry = v >> 8;
                }
            }
            prop_assert_eq!(value, bytes);
        }

        #[test]
        fn arbitrary_strings_never_panic(text in "\\PC{0,80}") {
            let _ = parse(&text);
        }
    }
}
