use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// The sidebar's filter chips.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConversationFilter {
    #[default]
    All,
    Unread,
    Favorites,
    Groups,
}

impl ConversationFilter {
    pub const ALL: [ConversationFilter; 4] = [Self::All, Self::Unread, Self::Favorites, Self::Groups];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Unread => "unread",
            Self::Favorites => "favorites",
            Self::Groups => "groups",
        }
    }
}

impl fmt::Display for ConversationFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ConversationFilter {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|f| f.as_str() == s).ok_or_else(|| {
            ValidationError::new("filter", format!("filter must be one of all, unread, favorites, groups (got {s:?})"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_filter_is_a_validation_error_naming_the_field() {
        assert_eq!("unread".parse::<ConversationFilter>().unwrap(), ConversationFilter::Unread);
        assert_eq!("spam".parse::<ConversationFilter>().unwrap_err().field, "filter");
    }
}
