//! Date separators for a message list ("Today", "Yesterday", "Monday", "03/11/2026"),
//! computed in the viewer's time zone.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};

use crate::dto::MessageDto;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimelineItem<'a> {
    DateSeparator(NaiveDate),
    Message(&'a MessageDto),
}

/// Interleaves a separator before the first message of each day. `messages`
/// may come in either order (the API returns newest first); the result is
/// oldest first, as a chat shows it.
pub fn with_date_separators(messages: &[MessageDto], tz: FixedOffset) -> Vec<TimelineItem<'_>> {
    let mut sorted: Vec<&MessageDto> = messages.iter().collect();
    sorted.sort_by_key(|m| (m.created_at, m.id));
    in_order(sorted, tz)
}

/// [`with_date_separators`] for messages already in the order shown (the
/// app keeps a message it is still sending last, whatever its clock says).
pub fn in_order<'a>(messages: impl IntoIterator<Item = &'a MessageDto>, tz: FixedOffset) -> Vec<TimelineItem<'a>> {
    let messages = messages.into_iter();
    let mut out = Vec::with_capacity(messages.size_hint().0 + 4);
    let mut current: Option<NaiveDate> = None;
    for m in messages {
        let day = local_date(m.created_at, tz);
        if current != Some(day) {
            out.push(TimelineItem::DateSeparator(day));
            current = Some(day);
        }
        out.push(TimelineItem::Message(m));
    }
    out
}

pub fn local_date(t: DateTime<Utc>, tz: FixedOffset) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

/// The label WhatsApp shows for a day: Today, Yesterday, the weekday within
/// the last week, else the date.
pub fn day_label(day: NaiveDate, today: NaiveDate) -> String {
    let age = (today - day).num_days();
    match age {
        0 => "Today".to_owned(),
        1 => "Yesterday".to_owned(),
        2..=6 => day.weekday_name().to_owned(),
        _ => format!("{:02}/{:02}/{}", day.day(), day.month(), day.year()),
    }
}

trait WeekdayName {
    fn weekday_name(&self) -> &'static str;
}

impl WeekdayName for NaiveDate {
    fn weekday_name(&self) -> &'static str {
        match self.weekday() {
            chrono::Weekday::Mon => "Monday",
            chrono::Weekday::Tue => "Tuesday",
            chrono::Weekday::Wed => "Wednesday",
            chrono::Weekday::Thu => "Thursday",
            chrono::Weekday::Fri => "Friday",
            chrono::Weekday::Sat => "Saturday",
            chrono::Weekday::Sun => "Sunday",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{MessageDirection, MessageStatus};
    use uuid::Uuid;

    fn msg(at: &str) -> MessageDto {
        let t: DateTime<Utc> = at.parse().unwrap();
        MessageDto::text(
            Uuid::now_v7(),
            Uuid::nil(),
            Uuid::nil(),
            MessageDirection::Inbound,
            MessageStatus::Read,
            "x",
            t,
        )
    }

    #[test]
    fn a_separator_starts_each_local_day() {
        let msgs = vec![msg("2026-11-24T23:30:00Z"), msg("2026-11-24T10:00:00Z"), msg("2026-11-25T08:00:00Z")];
        let utc = FixedOffset::east_opt(0).unwrap();
        let items = with_date_separators(&msgs, utc);
        let seps: Vec<_> = items
            .iter()
            .filter_map(|i| match i {
                TimelineItem::DateSeparator(d) => Some(d.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(seps, ["2026-11-24", "2026-11-25"]);
        assert_eq!(items.len(), 5);

        // One hour east, 23:30 UTC is already the next day.
        let cet = FixedOffset::east_opt(3600).unwrap();
        let items = with_date_separators(&msgs, cet);
        assert!(matches!(items[2], TimelineItem::DateSeparator(d) if d.to_string() == "2026-11-25"));
    }

    #[test]
    fn day_labels_read_like_whatsapp() {
        let today: NaiveDate = "2026-11-25".parse().unwrap();
        assert_eq!(day_label(today, today), "Today");
        assert_eq!(day_label("2026-11-24".parse().unwrap(), today), "Yesterday");
        assert_eq!(day_label("2026-11-20".parse().unwrap(), today), "Friday");
        assert_eq!(day_label("2026-11-03".parse().unwrap(), today), "03/11/2026");
    }
}
