//! Typed ids: a `ConversationId` cannot be passed where a `MessageId` is meant.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ValidationError;

macro_rules! typed_id {
    ($($name:ident => $field:literal),* $(,)?) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new time-ordered id (UUIDv7), so rows inserted together sort
            /// by creation and index pages stay dense.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn parse_field(s: &str) -> Result<Self, ValidationError> {
                s.parse()
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = ValidationError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim())
                    .map($name)
                    .map_err(|_| ValidationError::new($field, format!("{} must be a UUID", $field)))
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }
    )*};
}

typed_id! {
    CompanyId => "companyId",
    UserId => "userId",
    ContactId => "contactId",
    ConversationId => "conversationId",
    MessageId => "messageId",
    ChannelId => "channelId",
    ApiTokenId => "tokenId",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_non_uuid_names_its_field() {
        let e = "abc".parse::<ConversationId>().unwrap_err();
        assert_eq!(e.field, "conversationId");
        assert_eq!(e.message, "conversationId must be a UUID");
    }

    #[test]
    fn new_ids_sort_by_creation() {
        let a = MessageId::new();
        let b = MessageId::new();
        assert!(a < b);
    }
}
