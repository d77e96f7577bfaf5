//! Validated text values shared by credentials, people and catalogues: [`Name`],
//! [`Description`] and [`EmailAddress`]. Each is valid by construction.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A name (of a credential, user, group or application): 1 to 100 characters, trimmed, no
/// control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    /// The longest name, in characters.
    pub const MAX_CHARS: usize = 100;

    /// Validates and trims a name.
    pub fn new(name: &str) -> Result<Self> {
        let name = name.trim();
        let chars = name.chars().count();
        if chars == 0 || chars > Self::MAX_CHARS || name.chars().any(char::is_control) {
            return Err(Error::InvalidName {
                max: Self::MAX_CHARS,
            });
        }
        Ok(Name(name.to_owned()))
    }

    /// The name's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A description (of a credential or a catalogue entry): at most 1000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Description(String);

impl Description {
    /// The longest description, in characters.
    pub const MAX_CHARS: usize = 1000;

    /// Validates and trims a description.
    pub fn new(text: &str) -> Result<Self> {
        let text = text.trim();
        let got = text.chars().count();
        if got > Self::MAX_CHARS {
            return Err(Error::InvalidDescription {
                max: Self::MAX_CHARS,
                got,
            });
        }
        Ok(Description(text.to_owned()))
    }

    /// The description's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address: one `@`, something on each side, a dot in the domain, no spaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, Deserialize)]
#[serde(into = "String", try_from = "String")]
#[specta(type = String)]
pub struct EmailAddress(String);

impl TryFrom<String> for EmailAddress {
    type Error = Error;

    fn try_from(text: String) -> Result<Self> {
        let text = text.trim().to_owned();
        let valid = match text.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
                    && text.len() <= 254
                    && !text.chars().any(|c| c.is_whitespace() || c.is_control())
            }
            None => false,
        };
        if valid {
            Ok(EmailAddress(text))
        } else {
            Err(Error::InvalidEmail(text))
        }
    }
}

impl EmailAddress {
    /// The address's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<EmailAddress> for String {
    fn from(email: EmailAddress) -> String {
        email.0
    }
}

impl EmailAddress {
    /// An address read back from the vault, where only validated addresses are written.
    pub(crate) fn from_stored(text: String) -> Self {
        EmailAddress(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(Name::new("  ci deploy ").unwrap().as_str(), "ci deploy");
        assert!(Name::new("   ").is_err());
        assert!(Name::new(&"x".repeat(100)).is_ok());
        assert_eq!(
            Name::new(&"x".repeat(101)).unwrap_err().code(),
            "invalid_name"
        );
        assert!(Name::new("tab\there").is_err());
        assert!(Description::new(&"é".repeat(1000)).is_ok());
        assert_eq!(
            Description::new(&"é".repeat(1001)).unwrap_err().code(),
            "invalid_description"
        );
    }

    #[test]
    fn e_mail_addresses() {
        let ok = EmailAddress::try_from("  ops@example.com ".to_owned()).unwrap();
        assert_eq!(ok.as_str(), "ops@example.com");
        for bad in [
            "",
            "ops",
            "@example.com",
            "ops@",
            "ops@example",
            "o ps@example.com",
            "a@b@c.d",
            "ops@.com",
        ] {
            assert_eq!(
                EmailAddress::try_from(bad.to_owned()).unwrap_err().code(),
                "invalid_email",
                "{bad}"
            );
        }
    }
}
