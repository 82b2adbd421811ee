//! One input line: a kind and its hex fields.

use qorgan::account::{ACCOUNT_KEY_LEN, AccountKey, ListHead};
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
    /// `device-list <hex>`: a device list.
    DeviceList(Vec<u8>),
    /// `device-list-after <account-hex> <version> <hash-hex> <hex>`: a
    /// device list that must be that account's and directly follow the
    /// list with that head (the one the server holds for the account).
    DeviceListAfter {
        /// The account whose list is held (boxed: a decoded key is large).
        account: Box<AccountKey>,
        /// Head of the list held.
        previous: ListHead,
        /// The new list.
        list: Vec<u8>,
    },
    /// `group-message <announcement-hex> <message-hex>`
    GroupMessage {
        /// The chain's announcement.
        announcement: Vec<u8>,
        /// The message.
        message: Vec<u8>,
    },
    /// `roster <hex>`: a group roster.
    Roster(Vec<u8>),
    /// `roster-after <previous-hex> <roster-hex>`: a roster that must
    /// directly follow the held roster `previous` and be signed by one of
    /// its admins.
    RosterAfter {
        /// The roster the server holds for the group.
        previous: Vec<u8>,
        /// The new roster.
        roster: Vec<u8>,
    },
    /// `statement <hex>`: a statement or certificate.
    Statement(Vec<u8>),
    /// `revocation-list <hex>`: an issuer's revocation list.
    RevocationList(Vec<u8>),
    /// `presentation <QG1:…>`: a presentation's QR text (base45, spaces
    /// included), checked against the run's trust anchors, revocation
    /// lists and time.
    Presentation(String),
}

impl Line {
    /// The item as `qorgan::verify` takes it; `None` for a presentation,
    /// whose text is decoded first and checked against the run's trust
    /// inputs (see [`Verifier`](crate::Verifier)).
    pub fn encoded(&self) -> Option<Encoded<'_>> {
        Some(match self {
            Self::Identity(b) => Encoded::Identity(b),
            Self::Bundle(b) => Encoded::Bundle(b),
            Self::Upload(b) => Encoded::Upload(b),
            Self::Announcement(b) => Encoded::Announcement(b),
            Self::DeviceList(b) => Encoded::DeviceList(b),
            Self::DeviceListAfter {
                account,
                previous,
                list,
            } => Encoded::DeviceListAfter {
                account: **account,
                previous: *previous,
                list,
            },
            Self::GroupMessage {
                announcement,
                message,
            } => Encoded::GroupMessage {
                announcement,
                message,
            },
            Self::Roster(b) => Encoded::Roster(b),
            Self::RosterAfter { previous, roster } => Encoded::RosterAfter { previous, roster },
            Self::Statement(b) => Encoded::Statement(b),
            Self::RevocationList(b) => Encoded::RevocationList(b),
            Self::Presentation(_) => return None,
        })
    }

    /// The kind as written in the input.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Identity(_) => "identity",
            Self::Bundle(_) => "bundle",
            Self::Upload(_) => "upload",
            Self::Announcement(_) => "announcement",
            Self::DeviceList(_) => "device-list",
            Self::DeviceListAfter { .. } => "device-list-after",
            Self::GroupMessage { .. } => "group-message",
            Self::Roster(_) => "roster",
            Self::RosterAfter { .. } => "roster-after",
            Self::Statement(_) => "statement",
            Self::RevocationList(_) => "revocation-list",
            Self::Presentation(_) => "presentation",
        }
    }

    /// Decoded bytes held (to bound a batch's memory).
    pub fn len(&self) -> usize {
        match self {
            Self::Identity(b)
            | Self::Bundle(b)
            | Self::Upload(b)
            | Self::Announcement(b)
            | Self::DeviceList(b)
            | Self::Roster(b)
            | Self::Statement(b)
            | Self::RevocationList(b) => b.len(),
            Self::DeviceListAfter { list, .. } => ACCOUNT_KEY_LEN + 8 + 32 + list.len(),
            Self::GroupMessage {
                announcement,
                message,
            } => announcement.len() + message.len(),
            Self::RosterAfter { previous, roster } => previous.len() + roster.len(),
            Self::Presentation(text) => text.len(),
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
    /// A field is not a decimal number (that fits 64 bits).
    NotNumber(&'static str),
    /// 32 bytes that are not an account key (non-canonical or small
    /// order).
    NotAccountKey,
    /// A hex field of the wrong length.
    WrongLength {
        /// The field.
        what: &'static str,
        /// Bytes expected.
        expected: usize,
        /// Bytes found.
        found: usize,
    },
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnknownKind(k) => write!(
                f,
                "unknown kind {k:?} (expected identity, bundle, upload, announcement, device-list, \
                 device-list-after, group-message, roster, roster-after, statement, \
                 revocation-list or presentation)"
            ),
            Self::FieldCount {
                kind,
                expected,
                found,
            } => write!(f, "{kind} takes {expected} field(s), found {found}"),
            Self::NotHex(what) => write!(f, "{what} is not hex"),
            Self::NotNumber(what) => write!(f, "{what} is not a decimal number"),
            Self::NotAccountKey => f.write_str("account is not an account key"),
            Self::WrongLength {
                what,
                expected,
                found,
            } => write!(f, "{what} must be {expected} bytes, found {found}"),
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
    if kind == "presentation" {
        // The QR text is one field with spaces in it (the space is a base45
        // character); it never ends with one, so trimming loses nothing.
        let rest = text.get(kind.len()..).unwrap_or_default().trim();
        if rest.is_empty() {
            return Err(ParseError::FieldCount {
                kind: "presentation",
                expected: 1,
                found: 0,
            });
        }
        return Ok(Some(Line::Presentation(rest.to_string())));
    }
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
        "device-list" => {
            want("device-list", 1)?;
            Line::DeviceList(field(0, "device list")?)
        }
        "device-list-after" => {
            want("device-list-after", 4)?;
            let account = field(0, "account")?;
            let account: [u8; ACCOUNT_KEY_LEN] =
                account
                    .as_slice()
                    .try_into()
                    .map_err(|_| ParseError::WrongLength {
                        what: "account",
                        expected: ACCOUNT_KEY_LEN,
                        found: account.len(),
                    })?;
            let account =
                Box::new(AccountKey::from_bytes(&account).map_err(|_| ParseError::NotAccountKey)?);
            let version = fields
                .get(1)
                .filter(|f| f.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|f| f.parse::<u64>().ok())
                .ok_or(ParseError::NotNumber("previous version"))?;
            let hash = field(2, "previous hash")?;
            let hash: [u8; 32] =
                hash.as_slice()
                    .try_into()
                    .map_err(|_| ParseError::WrongLength {
                        what: "previous hash",
                        expected: 32,
                        found: hash.len(),
                    })?;
            Line::DeviceListAfter {
                account,
                previous: ListHead { version, hash },
                list: field(3, "device list")?,
            }
        }
        "group-message" => {
            want("group-message", 2)?;
            Line::GroupMessage {
                announcement: field(0, "announcement")?,
                message: field(1, "message")?,
            }
        }
        "roster" => {
            want("roster", 1)?;
            Line::Roster(field(0, "roster")?)
        }
        "roster-after" => {
            want("roster-after", 2)?;
            Line::RosterAfter {
                previous: field(0, "previous roster")?,
                roster: field(1, "roster")?,
            }
        }
        "statement" => {
            want("statement", 1)?;
            Line::Statement(field(0, "statement")?)
        }
        "revocation-list" => {
            want("revocation-list", 1)?;
            Line::RevocationList(field(0, "revocation list")?)
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
        assert_eq!(
            parse_line("device-list 0130"),
            Ok(Some(Line::DeviceList(vec![0x01, 0x30])))
        );
        let hash = "ab".repeat(32);
        // An account key: the base point's encoding, a valid Ed25519 key.
        let key = format!("58{}", "66".repeat(31));
        let parsed = parse_line(&format!("device-list-after {key} 7 {hash} 01"));
        let Ok(Some(Line::DeviceListAfter {
            account,
            previous,
            list,
        })) = parsed
        else {
            unreachable!("{parsed:?}")
        };
        assert_eq!(hex::decode(&key), Some(account.to_bytes().to_vec()));
        assert_eq!(
            (previous, list),
            (
                ListHead {
                    version: 7,
                    hash: [0xab; 32]
                },
                vec![1]
            )
        );
        let line = Line::DeviceListAfter {
            account,
            previous: ListHead {
                version: 1,
                hash: [0; 32],
            },
            list: vec![1, 2],
        };
        assert_eq!(line.kind(), "device-list-after");
        assert_eq!(line.len(), 32 + 8 + 32 + 2);
        for bad in ["-1", "+1", "0x10", "18446744073709551616", "seven"] {
            assert_eq!(
                parse_line(&format!("device-list-after {key} {bad} {hash} 01")),
                Err(ParseError::NotNumber("previous version")),
                "{bad}"
            );
        }
        assert_eq!(
            parse_line(&format!("device-list-after {key} 1 abab 01")),
            Err(ParseError::WrongLength {
                what: "previous hash",
                expected: 32,
                found: 2
            })
        );
        assert_eq!(
            parse_line(&format!("device-list-after abab 1 {hash} 01")),
            Err(ParseError::WrongLength {
                what: "account",
                expected: 32,
                found: 2
            })
        );
        // The identity point: small order, not an account key.
        let small = format!("01{}", "00".repeat(31));
        assert_eq!(
            parse_line(&format!("device-list-after {small} 1 {hash} 01")),
            Err(ParseError::NotAccountKey)
        );
        assert_eq!(
            parse_line(&format!("device-list-after {key} zz {hash} 01")),
            Err(ParseError::NotNumber("previous version"))
        );
        assert_eq!(
            parse_line(&format!("device-list-after xx 1 {hash} 01")),
            Err(ParseError::NotHex("account"))
        );
        assert_eq!(
            parse_line(&format!("device-list-after 1 {hash} 01")),
            Err(ParseError::FieldCount {
                kind: "device-list-after",
                expected: 4,
                found: 3
            })
        );
        assert_eq!(
            parse_line("device-list zz"),
            Err(ParseError::NotHex("device list"))
        );
    }

    #[test]
    fn parses_the_issue_12_kinds() {
        assert_eq!(
            parse_line("roster 0134"),
            Ok(Some(Line::Roster(vec![1, 0x34])))
        );
        assert_eq!(
            parse_line("roster-after aa bb"),
            Ok(Some(Line::RosterAfter {
                previous: vec![0xaa],
                roster: vec![0xbb]
            }))
        );
        assert_eq!(
            parse_line("roster-after aa"),
            Err(ParseError::FieldCount {
                kind: "roster-after",
                expected: 2,
                found: 1
            })
        );
        assert_eq!(
            parse_line("roster-after aa zz"),
            Err(ParseError::NotHex("roster"))
        );
        assert_eq!(
            parse_line("statement 0135"),
            Ok(Some(Line::Statement(vec![1, 0x35])))
        );
        assert_eq!(
            parse_line("revocation-list 0137"),
            Ok(Some(Line::RevocationList(vec![1, 0x37])))
        );
        // The QR text keeps its inner spaces; the line's own whitespace
        // around it goes.
        let parsed = parse_line("  presentation \tQG1:AB C%D 12  \r\n");
        let Ok(Some(line)) = parsed else {
            unreachable!("{parsed:?}")
        };
        assert_eq!(line, Line::Presentation("QG1:AB C%D 12".into()));
        assert_eq!((line.kind(), line.len()), ("presentation", 13));
        assert_eq!(line.encoded().map(|_| ()), None);
        assert_eq!(
            parse_line("presentation   "),
            Err(ParseError::FieldCount {
                kind: "presentation",
                expected: 1,
                found: 0
            })
        );
        assert!(matches!(
            parse_line("presentations QG1:"),
            Err(ParseError::UnknownKind(_))
        ));
    }
}
