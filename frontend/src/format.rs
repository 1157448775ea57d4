//! How times, names, avatars and message kinds are shown, in the browser's
//! time zone.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use inbox_types::dto::{ContactDto, MessageDto};
use inbox_types::timeline::day_label;
use inbox_types::{E164Phone, MessageContent, MessageDirection, MessageStatus};

use crate::icons::Icon;

/// The browser's UTC offset at `t` (so a date across a DST change is right).
pub fn offset_at(t: DateTime<Utc>) -> FixedOffset {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(t.timestamp_millis() as f64));
    // getTimezoneOffset is minutes *behind* UTC.
    let secs = -(date.get_timezone_offset() as i32) * 60;
    FixedOffset::east_opt(secs).unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
}

pub fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

pub fn local(t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&offset_at(t)).naive_local()
}

pub fn today() -> NaiveDate {
    local(now()).date()
}

/// 24-hour clock, as WhatsApp shows inside bubbles.
pub fn clock(t: DateTime<Utc>) -> String {
    local(t).format("%H:%M").to_string()
}

/// The time of a sidebar row: today HH:MM, Yesterday, a weekday within the
/// week, else the date.
pub fn row_time(t: DateTime<Utc>) -> String {
    let day = local(t).date();
    if day == today() { clock(t) } else { day_label(day, today()) }
}

/// A date separator's label.
pub fn day(d: NaiveDate) -> String {
    day_label(d, today())
}

/// A full date and time for tooltips.
pub fn full(t: DateTime<Utc>) -> String {
    let l = local(t);
    format!("{:02}/{:02}/{} {}", l.day(), l.month(), l.year(), l.format("%H:%M"))
}

/// `+44 7700 900123` for a stored E.164 number.
pub fn phone(e164: &str) -> String {
    E164Phone::from_trusted(e164.to_owned()).international()
}

/// What the agent calls a contact: its name, else its WhatsApp username,
/// else its number; a customer known by BSUID alone is still never a blank
/// row.
pub fn display_name(c: &ContactDto) -> String {
    let some = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    some(c.name.as_deref())
        .or_else(|| some(c.username.as_deref()))
        .or_else(|| c.phone_number.as_deref().map(phone))
        .unwrap_or_else(|| "WhatsApp user".to_owned())
}

/// The chat header's second line: what identifies the contact beside the
/// name shown (their number, and their username when it is not the name).
pub fn contact_details(c: &ContactDto) -> Option<String> {
    let shown = display_name(c);
    let parts: Vec<String> = [c.phone_number.as_deref().map(phone), c.username.clone()]
        .into_iter()
        .flatten()
        .filter(|p| *p != shown)
        .collect();
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// Up to two initials, or None when the contact has no name (a person icon
/// is shown instead).
pub fn initials(name: Option<&str>) -> Option<String> {
    let name = name?.trim();
    let letters: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_alphabetic()))
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    (!letters.is_empty()).then_some(letters)
}

/// Muted colours for avatars, picked by a stable hash of the name.
const AVATAR_COLOURS: [&str; 11] = [
    "#8fb3a3", "#b4a08a", "#a89bc9", "#7fa7c2", "#d0a08c", "#94a3ad", "#c99aa6", "#a3b387", "#b99cc0", "#8bb0b5",
    "#6f8fa6",
];

pub fn avatar_colour(key: &str) -> &'static str {
    // FNV-1a: stable across builds and browsers.
    let hash = key.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    AVATAR_COLOURS[hash as usize % AVATAR_COLOURS.len()]
}

/// The counter under a text field: shown near the limit only.
pub fn counter(len: usize, max: usize) -> Option<String> {
    (len + 500 >= max).then(|| format!("{len} / {max}"))
}

/// The line under an outbound bubble while WhatsApp's transient failures
/// are retried automatically: "Retrying (attempt 2 of 5)…", the attempt
/// scheduled or running of `max_attempts`. Nothing on the first attempt
/// (the clock says enough) or once the message is no longer sending.
pub fn retrying(m: &MessageDto, max_attempts: i32) -> Option<String> {
    let retrying = m.direction == MessageDirection::Outbound && m.status == MessageStatus::Sending && m.attempt > 1;
    // A policy lowered since the series began must not say "6 of 5".
    retrying.then(|| format!("Retrying (attempt {} of {})…", m.attempt, max_attempts.max(m.attempt)))
}

/// A bubble for a kind the chat cannot show yet: an icon and WhatsApp
/// Web's words for it, and the caption under them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    pub icon: Icon,
    pub label: String,
    pub caption: Option<String>,
}

/// `None` for text and system lines, which show their own text.
pub fn placeholder(content: &MessageContent) -> Option<Placeholder> {
    let some = |s: &str| Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_owned);
    let caption = content.media().and_then(|m| m.caption.as_deref()).and_then(some);
    let (icon, label) = match content {
        MessageContent::Text { .. } | MessageContent::System { .. } => return None,
        MessageContent::Image(_) => (Icon::Photo, "Photo".to_owned()),
        MessageContent::Video(_) => (Icon::Video, "Video".to_owned()),
        MessageContent::Audio(m) if m.files.iter().any(|f| f.voice) => (Icon::Mic, "Voice message".to_owned()),
        MessageContent::Audio(_) => (Icon::Headphones, "Audio".to_owned()),
        MessageContent::Document(m) => match m.files.iter().find_map(|f| f.filename.as_deref().and_then(some)) {
            Some(name) => (Icon::Document, format!("Document · {name}")),
            None => (Icon::Document, "Document".to_owned()),
        },
        MessageContent::Sticker(_) => (Icon::Sticker, "Sticker".to_owned()),
        MessageContent::Location(l) => {
            let place = l.name.as_deref().and_then(some).or_else(|| l.address.as_deref().and_then(some));
            let place = place.unwrap_or_else(|| format!("{}, {}", l.latitude, l.longitude));
            (Icon::Location, format!("Location · {place}"))
        }
        MessageContent::Contacts { contacts } => {
            let names: Vec<String> = contacts.iter().filter_map(|c| some(&c.name)).collect();
            let label = match names.as_slice() {
                [] => "Contact".to_owned(),
                [one] => format!("Contact · {one}"),
                many => format!("{} contacts · {}", many.len(), many.join(", ")),
            };
            (Icon::Person, label)
        }
        MessageContent::Reaction { emoji: Some(emoji), .. } => (Icon::Smiley, format!("Reacted {emoji} to a message")),
        MessageContent::Reaction { emoji: None, .. } => (Icon::Smiley, "Removed a reaction".to_owned()),
        MessageContent::Choice(c) => (Icon::Reply, some(&c.title).unwrap_or_else(|| "Reply".to_owned())),
        // The provider's readable line, when it gave one ("Edited: …").
        MessageContent::Unsupported { text, .. } => {
            let caption = text.as_deref().and_then(some);
            return Some(Placeholder { icon: Icon::Unsupported, label: "Unsupported message".to_owned(), caption });
        }
    };
    Some(Placeholder { icon, label, caption })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retried_send_says_which_attempt_of_how_many_until_it_is_sent_or_failed() {
        let mut m = crate::fixtures::msg(1, 1, MessageDirection::Outbound);
        m.status = MessageStatus::Sending;
        m.attempt = 1;
        assert_eq!(retrying(&m, 5), None, "the first attempt shows the clock alone");
        m.attempt = 2;
        m.next_attempt_at = Some(crate::fixtures::at(3));
        assert_eq!(retrying(&m, 5).as_deref(), Some("Retrying (attempt 2 of 5)…"));
        m.next_attempt_at = None;
        assert_eq!(retrying(&m, 5).as_deref(), Some("Retrying (attempt 2 of 5)…"), "while it runs");
        m.attempt = 6;
        assert_eq!(retrying(&m, 5).as_deref(), Some("Retrying (attempt 6 of 6)…"), "never more than all");
        for status in [MessageStatus::Sent, MessageStatus::Failed] {
            m.status = status;
            assert_eq!(retrying(&m, 5), None, "{status}: the line goes (a failure shows its reason)");
        }
        let mut received = crate::fixtures::msg(2, 2, MessageDirection::Inbound);
        received.status = MessageStatus::Sending;
        received.attempt = 2;
        assert_eq!(retrying(&received, 5), None);
    }

    fn contact(phone: Option<&str>, username: Option<&str>, name: Option<&str>) -> ContactDto {
        ContactDto {
            id: uuid::Uuid::nil(),
            phone_number: phone.map(str::to_owned),
            wa_id: None,
            bsuid: Some("US.13491208655302741918".into()),
            username: username.map(str::to_owned),
            name: name.map(str::to_owned),
            avatar: None,
            is_group: false,
            presence: None,
        }
    }

    #[test]
    fn a_customer_without_a_number_is_shown_by_name_or_username_never_blank() {
        assert_eq!(display_name(&contact(None, Some("@sheena"), Some("Sheena Nelson"))), "Sheena Nelson");
        assert_eq!(display_name(&contact(None, Some("@sheena"), None)), "@sheena");
        assert_eq!(display_name(&contact(None, None, Some("  "))), "WhatsApp user");
        assert_eq!(contact_details(&contact(None, Some("@sheena"), Some("Sheena Nelson"))).as_deref(), Some("@sheena"));
        assert_eq!(contact_details(&contact(None, Some("@sheena"), None)), None);
    }

    #[test]
    fn a_number_outside_the_phone_library_shows_as_plus_digits() {
        assert_eq!(display_name(&contact(Some("+999123456"), None, None)), "+999123456");
        assert_eq!(display_name(&contact(Some("+14155550100"), None, None)), "+1 415-555-0100");
        assert_eq!(
            contact_details(&contact(Some("+14155550100"), None, Some("Ana"))).as_deref(),
            Some("+1 415-555-0100")
        );
    }

    #[test]
    fn kinds_the_chat_cannot_show_yet_read_as_whatsapp_web_names_them() {
        use inbox_types::content::{Choice, Location, Media, MediaFile, SharedContact};

        let label = |c: MessageContent| placeholder(&c).map(|p| (p.label, p.caption));
        let file = |f: MediaFile| Media { caption: None, files: vec![f] };
        let named = |name: &str| SharedContact { name: name.into(), phones: vec![] };
        let at = |name: Option<&str>| Location {
            latitude: 52.5,
            longitude: 13.4,
            name: name.map(Into::into),
            ..Location::default()
        };

        assert_eq!(label(MessageContent::text("hi")), None);
        assert_eq!(label(MessageContent::System { body: "changed".into(), change: None }), None);
        let photo = Media { caption: Some(" Our shop ".into()), files: vec![] };
        assert_eq!(label(MessageContent::Image(photo)), Some(("Photo".into(), Some("Our shop".into()))));
        assert_eq!(label(MessageContent::Video(Media::default())), Some(("Video".into(), None)));
        let voice = file(MediaFile { voice: true, ..MediaFile::default() });
        assert_eq!(label(MessageContent::Audio(voice)).unwrap().0, "Voice message");
        assert_eq!(label(MessageContent::Audio(Media::default())).unwrap().0, "Audio");
        let invoice = file(MediaFile { filename: Some("invoice.pdf".into()), ..MediaFile::default() });
        assert_eq!(label(MessageContent::Document(invoice)).unwrap().0, "Document · invoice.pdf");
        assert_eq!(label(MessageContent::Document(Media::default())).unwrap().0, "Document");
        assert_eq!(label(MessageContent::Sticker(Media::default())).unwrap().0, "Sticker");
        assert_eq!(label(MessageContent::Location(at(Some("Shop")))).unwrap().0, "Location · Shop");
        assert_eq!(label(MessageContent::Location(at(None))).unwrap().0, "Location · 52.5, 13.4");
        assert_eq!(label(MessageContent::Contacts { contacts: vec![named("Ana")] }).unwrap().0, "Contact · Ana");
        let two = vec![named("Ana"), named("Ben")];
        assert_eq!(label(MessageContent::Contacts { contacts: two }).unwrap().0, "2 contacts · Ana, Ben");
        let reaction = |emoji: Option<&str>| MessageContent::Reaction {
            target_provider_id: "wamid.1".into(),
            emoji: emoji.map(Into::into),
        };
        assert_eq!(label(reaction(Some("👍"))).unwrap().0, "Reacted 👍 to a message");
        assert_eq!(label(reaction(None)).unwrap().0, "Removed a reaction");
        let choice = Choice { title: "Yes, deliver".into(), ..Choice::default() };
        assert_eq!(label(MessageContent::Choice(choice)).unwrap().0, "Yes, deliver");
        let order =
            MessageContent::Unsupported { kind: "order".into(), text: Some("[order: 2 items]".into()), raw: None };
        assert_eq!(label(order), Some(("Unsupported message".into(), Some("[order: 2 items]".into()))));
    }
}
