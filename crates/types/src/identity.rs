//! WhatsApp's own identities of a customer: the `wa_id` (the digits of their
//! number, as WhatsApp delivers it), the business-scoped user id (BSUID) that
//! stands in for the number when a customer uses a username, and the one
//! rule that tells when two numbers are the same WhatsApp account.
//!
//! What WhatsApp delivers is authoritative: a `wa_id` is accepted on its
//! shape alone (6 to 15 digits), never checked against the phone library's
//! numbering plans, which lag new ranges and do not know WhatsApp's forms.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;
use crate::phone::E164Phone;

/// A WhatsApp id: the digits of a customer's number, country code first,
/// as Meta (`wa_id`, `from`) and Twilio (`WaId`) deliver it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct WaId(String);

impl WaId {
    pub const MIN_DIGITS: usize = 6;
    pub const MAX_DIGITS: usize = 15;

    /// Reads a `wa_id` (`5215512345678`); a leading `+` or `whatsapp:+` is
    /// allowed, as Twilio writes its addresses.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let err = |msg: &str| ValidationError::new("waId", msg);
        let trimmed = input.trim();
        let trimmed = trimmed.strip_prefix("whatsapp:").unwrap_or(trimmed);
        let digits = trimmed.strip_prefix('+').unwrap_or(trimmed);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("A WhatsApp id is the number's digits only"));
        }
        if !(Self::MIN_DIGITS..=Self::MAX_DIGITS).contains(&digits.len()) {
            return Err(err("A WhatsApp id has 6 to 15 digits"));
        }
        Ok(WaId(digits.to_owned()))
    }

    /// The `wa_id` of a number people typed (its E.164 digits).
    pub fn of_phone(phone: &E164Phone) -> Self {
        WaId(phone.digits().to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `+` and the digits: the number as E.164 writes it. Not checked
    /// against any numbering plan (see the module's note).
    pub fn plus_digits(&self) -> String {
        format!("+{}", self.0)
    }

    /// The form shared by every way of writing the same WhatsApp account
    /// (see [`equivalence_key`]).
    pub fn key(&self) -> String {
        equivalence_key(&self.0)
    }

    /// Rebuilds a value read back from our own storage.
    pub fn from_trusted(stored: String) -> Self {
        WaId(stored)
    }
}

impl fmt::Display for WaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for WaId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        WaId::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// The canonical digits of a number for matching one customer to one
/// contact, whichever of WhatsApp's equivalent forms it arrives in:
///
/// - Mexico: mobiles were dialled `52 1` + 10 digits until 2019 and WhatsApp
///   still reports many as `521…`; `52` + 10 digits is the same number.
/// - Brazil: mobiles gained a ninth digit (`55` + area + `9` + 8 digits);
///   accounts older than that still have `55` + area + 8 digits. Only a
///   mobile (the 8 digits start with 6 to 9) drops the `9`: landlines have
///   8 digits starting with 2 to 5 and no ninth digit.
/// - Argentina: mobiles are `54 9` + 10 digits in international form; the
///   same number written without the `9` is `54` + 10 digits.
///
/// Every other number is its own key. The key is for matching only: it is
/// never sent to a provider.
pub fn equivalence_key(digits: &str) -> String {
    let d = digits.as_bytes();
    let all_digits = d.iter().all(u8::is_ascii_digit);
    if all_digits && d.len() == 13 {
        if let Some(rest) = digits.strip_prefix("521") {
            return format!("52{rest}");
        }
        if let Some(rest) = digits.strip_prefix("549") {
            return format!("54{rest}");
        }
        if digits.starts_with("55") && d[2] != b'0' && d[4] == b'9' && (b'6'..=b'9').contains(&d[5]) {
            return format!("{}{}", &digits[..4], &digits[5..]);
        }
    }
    digits.to_owned()
}

/// A business-scoped user id: WhatsApp's id of a customer within one
/// business portfolio (`US.13491208655302741918`), present in webhooks
/// whether or not the customer shares a phone number, and the only way to
/// reach a customer who uses a username and hides their number. A parent
/// BSUID (`US.ENT.11815799212886844830`) has the same shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Bsuid(String);

impl Bsuid {
    /// Meta: a two-letter country code, a period, up to 128 alphanumerics
    /// (a parent id adds `ENT.`); room is left for what Meta may add.
    pub const MAX_LEN: usize = 160;

    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let err = |msg: &str| ValidationError::new("bsuid", msg);
        let s = input.trim();
        let (country, rest) =
            s.split_once('.').ok_or_else(|| err("A BSUID starts with a country code and a period"))?;
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(err("A BSUID starts with a two-letter country code"));
        }
        if rest.is_empty() || s.len() > Self::MAX_LEN {
            return Err(err("A BSUID has 1 to 128 characters after its country code"));
        }
        if !rest.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) {
            return Err(err("A BSUID holds letters, digits and periods only"));
        }
        Ok(Bsuid(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Rebuilds a value read back from our own storage.
    pub fn from_trusted(stored: String) -> Self {
        Bsuid(stored)
    }
}

impl fmt::Display for Bsuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bsuid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Bsuid::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// How the people of a company see a number: formatted when the phone
/// library knows its range (`+52 55 1234 5678`), else `+` and the digits.
pub fn display_number(plus_digits: &str) -> String {
    E164Phone::from_trusted(plus_digits.to_owned()).international()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn equivalent_forms_share_one_key() {
        // (one form, another form of the same account)
        for (a, b) in [
            // Mexico: with and without the mobile "1".
            ("5215512345678", "525512345678"),
            ("5218112345678", "528112345678"),
            // Brazil: São Paulo and Rio mobiles with and without the ninth digit.
            ("5511987654321", "551187654321"),
            ("5521996543210", "552196543210"),
            // Argentina: Buenos Aires mobile with and without the 9.
            ("5491123456789", "541123456789"),
        ] {
            assert_eq!(equivalence_key(a), equivalence_key(b), "{a} ~ {b}");
        }
    }

    #[test]
    fn different_accounts_keep_different_keys() {
        for (a, b) in [
            // A Brazilian landline (8 digits from 2 to 5) has no ninth-digit form.
            ("551132654321", "5511932654321"),
            // Other countries are their own key.
            ("14155550100", "141555501000"),
            ("447700900123", "4477009001230"),
            // A Mexican number and an unrelated one of the same length.
            ("525512345678", "525512345679"),
        ] {
            assert_ne!(equivalence_key(a), equivalence_key(b), "{a} !~ {b}");
        }
        for plain in ["14155550100", "447700900123", "919876543210", "34612345678", "123456"] {
            assert_eq!(equivalence_key(plain), plain);
        }
    }

    #[test]
    fn wa_ids_are_digits_of_plausible_length() {
        assert_eq!(WaId::parse("5215512345678").unwrap().as_str(), "5215512345678");
        assert_eq!(WaId::parse("+14155550100").unwrap().as_str(), "14155550100");
        assert_eq!(WaId::parse("whatsapp:+14155550100").unwrap().as_str(), "14155550100");
        assert_eq!(WaId::parse("123456").unwrap().plus_digits(), "+123456");
        for bad in ["", "12345", "1234567890123456", "12 34 56", "abc1234567", "+", "US.123"] {
            assert!(WaId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_typed_number_and_its_wa_id_share_a_key() {
        let typed = E164Phone::parse("+52 55 1234 5678").unwrap();
        let delivered = WaId::parse("5215512345678").unwrap();
        assert_eq!(WaId::of_phone(&typed).key(), delivered.key());
    }

    #[test]
    fn bsuids_have_a_country_and_an_id() {
        for ok in ["US.13491208655302741918", "BR.1502576394655843", "US.ENT.11815799212886844830"] {
            assert_eq!(Bsuid::parse(ok).unwrap().as_str(), ok);
        }
        for bad in ["", "13491208655302741918", "USA.1", "U1.2", "US.", "US.12 34", "US.1;DROP", &"US.1".repeat(50)] {
            assert!(Bsuid::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn numbers_outside_the_library_are_shown_as_plus_digits() {
        assert_eq!(display_number("+14155550100"), "+1 415-555-0100");
        assert_eq!(display_number("+999123456"), "+999123456");
    }

    proptest! {
        #[test]
        fn no_wa_id_of_6_to_15_digits_is_refused(digits in "[0-9]{6,15}") {
            let id = WaId::parse(&digits).unwrap();
            prop_assert_eq!(id.as_str(), digits.as_str());
            let key = id.key();
            prop_assert!(key.len() >= 6 && key.len() <= 15);
            // A key is a fixed point: matching twice changes nothing.
            prop_assert_eq!(equivalence_key(&key), key);
        }
    }
}
