//! One input line: a kind and its hex fields.

use qorgan::verify::Encoded;

use crate::hex;

/// A parsed item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// `identity <hex>`
    Identity(Vec<u8>),
    /// `bundle <hex>`
    Bundle(Vec<u8>),
    /// `upload <hex>`: a prekey upload.
    Upload(Vec<u8>),
    /// `announcement <hex>`
    Announcement(Vec<u8>),
    /// `group-message <announcement-hex> <message-hex>`
    GroupMessage {
        /// The chain's announcement.
        announcement: Vec<u8>,
        /// The message.
        message: Vec<u8>,
    },
}

impl Line {
    /// The item as `qorgan::verify` takes it.
    pub fn encoded(&self) -> Encoded<'_> {
        match self {
            Self::Identity(b) => Encoded::Identity(b),
            Self::Bundle(b) => Encoded::Bundle(b),
            Self::Upload(b) => Encoded::Upload(b),
            Self::Announcement(b) => Encoded::Announcement(b),
            Self::GroupMessage {
                announcement,
                message,
            } => Encoded::GroupMessage {
                announcement,
                message,
            },
        }
    }

    /// The kind as written in the input.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Identity(_) => "identity",
            Self::Bundle(_) => "bundle",
            Self::Upload(_) => "upload",
            Self::Announcement(_) => "announcement",
            Self::GroupMessage { .. } => "group-message",
        }
    }

    /// Decoded bytes held (to bound a batch's memory).
    pub fn len(&self) -> usize {
        match self {
            Self::Identity(b) | Self::Bundle(b) | Self::Upload(b) | Self::Announcement(b) => {
                b.len()
            }
            Self::GroupMessage {
                announcement,
                message,
            } => announcement.len() + message.len(),
        }
    }

    /// Whether the item holds no bytes at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Why a line is not an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// The first word is not a known kind.
    UnknownKind(String),
    /// Too few or too many fields for the kind.
    FieldCount {
        /// The kind.
        kind: &'static str,
        /// Fields expected after the kind.
        expected: usize,
        /// Fields found.
        found: usize,
    },
    /// A field is not hex.
    NotHex(&'static str),
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnknownKind(k) => write!(
                f,
                "unknown kind {k:?} (expected identity, bundle, upload, announcement or group-message)"
            ),
            Self::FieldCount {
                kind,
                expected,
                found,
            } => write!(f, "{kind} takes {expected} hex field(s), found {found}"),
            Self::NotHex(what) => write!(f, "{what} is not hex"),
        }
    }
}

/// Parses one line; `Ok(None)` for blank lines and `#` comments.
pub fn parse_line(text: &str) -> Result<Option<Line>, ParseError> {
    let text = text.trim();
    if text.is_empty() || text.starts_with('#') {
        return Ok(None);
    }
    let mut words = text.split_whitespace();
    let kind = words.next().unwrap_or_default();
    let fields: Vec<&str> = words.collect();
    let want = |kind: &'static str, expected: usize| {
        if fields.len() == expected {
            Ok(())
        } else {
            Err(ParseError::FieldCount {
                kind,
                expected,
                found: fields.len(),
            })
        }
    };
    let field = |i: usize, what: &'static str| {
        fields
            .get(i)
            .and_then(|f| hex::decode(f))
            .ok_or(ParseError::NotHex(what))
    };
    let line = match kind {
        "identity" => {
            want("identity", 1)?;
            Line::Identity(field(0, "identity")?)
        }
        "bundle" => {
            want("bundle", 1)?;
            Line::Bundle(field(0, "bundle")?)
        }
        "upload" => {
            want("upload", 1)?;
            Line::Upload(field(0, "upload")?)
        }
        "announcement" => {
            want("announcement", 1)?;
            Line::Announcement(field(0, "announcement")?)
        }
        "group-message" => {
            want("group-message", 2)?;
            Line::GroupMessage {
                announcement: field(0, "announcement")?,
                message: field(1, "message")?,
            }
        }
        other => return Err(ParseError::UnknownKind(other.chars().take(40).collect())),
    };
    Ok(Some(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_kind_and_refuses_bad_lines() {
        assert_eq!(parse_line("  # comment"), Ok(None));
        assert_eq!(parse_line(""), Ok(None));
        assert_eq!(
            parse_line("identity 0102"),
            Ok(Some(Line::Identity(vec![1, 2])))
        );
        assert_eq!(
            parse_line("group-message aa\tbb"),
            Ok(Some(Line::GroupMessage {
                announcement: vec![0xaa],
                message: vec![0xbb]
            }))
        );
        assert_eq!(
            parse_line("bundle"),
            Err(ParseError::FieldCount {
                kind: "bundle",
                expected: 1,
                found: 0
            })
        );
        assert_eq!(
            parse_line("group-message aa"),
            Err(ParseError::FieldCount {
                kind: "group-message",
                expected: 2,
                found: 1
            })
        );
        assert_eq!(
            parse_line("upload 0a0B"),
            Ok(Some(Line::Upload(vec![0x0a, 0x0b])))
        );
        assert_eq!(Line::Upload(vec![1, 2, 3]).kind(), "upload");
        assert_eq!(
            parse_line("upload aa bb"),
            Err(ParseError::FieldCount {
                kind: "upload",
                expected: 1,
                found: 2
            })
        );
        assert_eq!(
            parse_line("announcement xyz0"),
            Err(ParseError::NotHex("announcement"))
        );
        assert!(matches!(parse_line("key 00"), Err(ParseError::UnknownKind(k)) if k == "key"));
    }
}
