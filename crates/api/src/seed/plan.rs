//! Turns the description (`stories.txt`) into the demo's chats: numbers,
//! timestamps, statuses and unread counts, without touching the database.
//!
//! The plan is a function of `now` alone (the random numbers come from a
//! fixed seed), so every run writes the same week. Agents answer only in
//! the shop's opening hours: a reply that would fall outside them waits
//! for the next morning, and the lines after it move along.

use std::collections::HashSet;

use anyhow::{Context, anyhow, bail, ensure};
use chrono::{DateTime, Duration, Utc};
use inbox_types::content::{Location, Media, MediaFile};
use inbox_types::{E164Phone, MessageContent, MessageStatus};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::script::{self, Agent, Exchange, Speaker, Step, Story, When};

const STORIES: &str = include_str!("stories.txt");
const DAY: i64 = 86_400;
/// The shop's opening hours, in its time zone: agents write from 08:00 and
/// before 19:00. The shop keeps UTC, Lisbon's winter time, which spares the
/// demo a time-zone database.
pub const OPENS: i64 = 8 * 3600;
pub const CLOSES: i64 = 19 * 3600;
/// Generated chats start no exchange after this time of the last day (see
/// the note on day 0 at the top of `stories.txt`).
const GENERATE_UNTIL: i64 = 8 * 3600;

/// Meta's answer to a reply sent after the customer service window closed.
pub const OUTSIDE_WINDOW: (&str, &str) = (
    "131047",
    "Outside the 24-hour customer service window: the customer has not written in the last 24 hours, so only a \
     template message can reach them now.",
);

pub struct Demo {
    pub threads: Vec<Thread>,
}

pub struct Thread {
    pub name: String,
    pub phone: E164Phone,
    pub group: bool,
    pub assignee: Option<Agent>,
    pub favorite: bool,
    pub archived: bool,
    pub unread_count: i32,
    pub messages: Vec<Message>,
}

pub struct Message {
    pub at: DateTime<Utc>,
    pub speaker: Speaker,
    pub content: MessageContent,
    pub status: MessageStatus,
    pub error: Option<(&'static str, &'static str)>,
}

/// The demo as it reads at `now`.
pub fn plan(now: DateTime<Utc>) -> anyhow::Result<Demo> {
    let description = script::parse(STORIES).map_err(|e| anyhow!(e))?;
    let mut rng = StdRng::seed_from_u64(2026);
    let mut names = HashSet::new();
    let mut phones = HashSet::new();
    let mut timed = Vec::with_capacity(description.stories.len());
    for story in &description.stories {
        ensure!(names.insert(story.name.as_str()), "two demo customers are called {}", story.name);
        let phone = phone_of(&story.country, &mut rng, &mut phones).with_context(|| story.name.clone())?;
        let lines = timeline(story, &description.exchanges, &mut rng).with_context(|| story.name.clone())?;
        timed.push((story, phone, lines));
    }

    // Day 0 is today; if its script runs past now, the whole week moves back
    // by whole days, which keeps every line at its time of day.
    let midnight = now.date_naive().and_hms_opt(0, 0, 0).expect("midnight exists").and_utc();
    let latest = timed.iter().flat_map(|(_, _, lines)| lines.iter().map(|l| l.0)).max().unwrap_or(0);
    let since_midnight = (now - midnight).num_seconds();
    let late_by = latest + 60 - since_midnight;
    let shift = if late_by > 0 { (late_by + DAY - 1) / DAY } else { 0 };

    let threads = timed
        .into_iter()
        .map(|(story, phone, lines)| {
            let lines = lines
                .into_iter()
                .map(|(t, speaker, content)| (midnight + Duration::seconds(t - shift * DAY), speaker, content));
            thread(story, phone, lines.collect(), now)
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(Demo { threads })
}

type Line = (i64, Speaker, MessageContent);

/// The story's lines at their times (seconds from day 0's midnight).
fn timeline(story: &Story, exchanges: &[Exchange], rng: &mut StdRng) -> anyhow::Result<Vec<Line>> {
    let mut lines: Vec<Line> = Vec::new();
    let first = story.name.split(' ').next().unwrap_or(&story.name);
    for step in &story.steps {
        let previous = lines.last().map(|l| l.0);
        match step {
            Step::Say { when, speaker, body } => {
                let at = time_of(*when, previous, *speaker, rng)?;
                lines.push((at, *speaker, content_of(body)?));
            }
            Step::Generate { when, count, set, gap } => {
                let name = set;
                let set: Vec<&Exchange> = exchanges.iter().filter(|e| &e.set == name).collect();
                ensure!(!set.is_empty(), "no exchanges in set {name:?}");
                let mut start = time_of(*when, previous, Speaker::Customer, rng)?;
                // Exchanges are dealt from a shuffled deck: none comes back
                // before all the others were used.
                let mut deck: Vec<usize> = Vec::new();
                for _ in 0..*count {
                    if start > GENERATE_UNTIL {
                        break;
                    }
                    if deck.is_empty() {
                        deck = (0..set.len()).collect();
                        for i in (1..deck.len()).rev() {
                            deck.swap(i, rng.random_range(0..=i));
                        }
                    }
                    let pick = deck.pop().expect("the deck was just filled");
                    let fill = Placeholders::draw(first, rng);
                    // Customers write by day: one who would start at night waits for the morning.
                    let tod = start.rem_euclid(DAY);
                    if (1800..7 * 3600).contains(&tod) {
                        start += 7 * 3600 - tod + rng.random_range(0..90) * 60;
                    }
                    for line in &set[pick].lines {
                        let Step::Say { when, speaker, body } = line else { bail!("an exchange cannot generate") };
                        // The chat's own agent answers.
                        let speaker = match *speaker {
                            Speaker::Agent { failed, .. } => {
                                Speaker::Agent { agent: story.assignee.unwrap_or(Agent::Ana), failed }
                            }
                            Speaker::Customer => Speaker::Customer,
                        };
                        let at = match when {
                            When::Start => start,
                            _ => time_of(*when, lines.last().map(|l| l.0), speaker, rng)?,
                        };
                        lines.push((at, speaker, content_of(&fill.apply(body))?));
                    }
                    start = lines.last().map_or(start, |l| l.0) + rng.random_range(gap.0..=gap.1);
                }
            }
        }
    }
    ensure!(!lines.is_empty(), "a story without messages");
    Ok(lines)
}

/// When a line is said, after the line before (`previous`); an agent's line
/// waits for opening hours.
fn time_of(when: When, previous: Option<i64>, speaker: Speaker, rng: &mut StdRng) -> anyhow::Result<i64> {
    let day_of = |t: i64| t.div_euclid(DAY) * DAY;
    let need_previous = || previous.ok_or_else(|| anyhow!("a story starts with a relative time"));
    let at = match when {
        When::At { day, second_of_day } => day * DAY + second_of_day,
        When::SameDay { second_of_day } => day_of(need_previous()?) + second_of_day,
        When::NextDay { second_of_day } => day_of(need_previous()?) + DAY + second_of_day,
        When::After { min, max } => need_previous()? + rng.random_range(min..=max),
        When::Start => bail!("* starts an exchange only"),
    };
    let at = match speaker {
        Speaker::Agent { .. } => {
            let tod = at.rem_euclid(DAY);
            let morning = OPENS + rng.random_range(2..25) * 60;
            if tod < OPENS {
                day_of(at) + morning
            } else if tod >= CLOSES {
                day_of(at) + DAY + morning
            } else {
                at
            }
        }
        Speaker::Customer => at,
    };
    match previous {
        Some(p) if at < p => bail!("a line at {at} s comes before the one before it ({p} s)"),
        // Lines said in the same second still keep their order.
        Some(p) if at == p => Ok(at + 1),
        _ => Ok(at),
    }
}

/// The values an exchange's placeholders take, drawn once per exchange.
struct Placeholders {
    first: String,
    /// `#CL-4821`, and `CL4821` where a URL needs it.
    order: String,
    code: String,
    product: &'static str,
    colour: &'static str,
    qty: u32,
}

impl Placeholders {
    fn draw(first: &str, rng: &mut StdRng) -> Self {
        const PRODUCTS: [&str; 8] = [
            "linen duvet cover",
            "waffle bath towel",
            "linen napkin set",
            "stonewashed sheet set",
            "linen shirt",
            "wool throw",
            "linen apron",
            "table runner",
        ];
        const COLOURS: [&str; 6] = ["sage", "oat", "terracotta", "ink blue", "natural", "charcoal"];
        let order = rng.random_range(4100..4999);
        Self {
            first: first.to_owned(),
            order: format!("#CL-{order}"),
            code: format!("CL{order}"),
            product: PRODUCTS[rng.random_range(0..PRODUCTS.len())],
            colour: COLOURS[rng.random_range(0..COLOURS.len())],
            qty: rng.random_range(2..13),
        }
    }

    fn apply(&self, text: &str) -> String {
        text.replace("{first}", &self.first)
            .replace("{order}", &self.order)
            .replace("{code}", &self.code)
            .replace("{product}", self.product)
            .replace("{colour}", self.colour)
            .replace("{qty}", &self.qty.to_string())
    }
}

/// `[photo] caption`, `[voice]`, `[location lat,lng] name | address`, or text.
fn content_of(body: &str) -> anyhow::Result<MessageContent> {
    let media = |mime: &str, voice: bool, caption: &str| Media {
        caption: Some(caption.trim().to_owned()).filter(|c| !c.is_empty()),
        files: vec![MediaFile {
            provider_media_id: Some(format!("demo-{:x}", caption.len() * 7919 + mime.len())),
            mime_type: Some(mime.to_owned()),
            voice,
            ..MediaFile::default()
        }],
    };
    if let Some(caption) = body.strip_prefix("[photo]") {
        return Ok(MessageContent::Image(media("image/jpeg", false, caption)));
    }
    if let Some(caption) = body.strip_prefix("[voice]") {
        return Ok(MessageContent::Audio(media("audio/ogg; codecs=opus", true, caption)));
    }
    if let Some(rest) = body.strip_prefix("[location ") {
        let (at, place) = rest.split_once(']').context("[location lat,lng] place")?;
        let (lat, lng) = at.split_once(',').context("[location lat,lng]")?;
        let (name, address) = place.split_once('|').unwrap_or((place, ""));
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        return Ok(MessageContent::Location(Location {
            latitude: lat.trim().parse()?,
            longitude: lng.trim().parse()?,
            name: text(name),
            address: text(address),
            url: None,
        }));
    }
    Ok(MessageContent::text(body))
}

/// Statuses as they would be at `now`: a reply the customer answered was
/// read; a recent one is still sent or delivered; the customer's messages
/// after the last reply are unread when the story says so.
fn thread(
    story: &Story,
    phone: E164Phone,
    lines: Vec<(DateTime<Utc>, Speaker, MessageContent)>,
    now: DateTime<Utc>,
) -> anyhow::Result<Thread> {
    let last_reply = lines.iter().rposition(|l| matches!(l.1, Speaker::Agent { .. }));
    let last_inbound = lines.iter().rposition(|l| l.1 == Speaker::Customer);
    let mut unread_count = 0;
    let messages = lines
        .into_iter()
        .enumerate()
        .map(|(i, (at, speaker, content))| {
            let (status, error) = match speaker {
                Speaker::Customer if story.unread && last_reply.is_none_or(|r| i > r) => {
                    unread_count += 1;
                    (MessageStatus::Delivered, None)
                }
                Speaker::Customer => (MessageStatus::Read, None),
                Speaker::Agent { failed: true, .. } => (MessageStatus::Failed, Some(OUTSIDE_WINDOW)),
                Speaker::Agent { .. } if last_inbound.is_some_and(|c| c > i) => (MessageStatus::Read, None),
                Speaker::Agent { .. } if now - at < Duration::minutes(10) => (MessageStatus::Sent, None),
                Speaker::Agent { .. } if now - at < Duration::hours(3) => (MessageStatus::Delivered, None),
                Speaker::Agent { .. } => (MessageStatus::Read, None),
            };
            Message { at, speaker, content, status, error }
        })
        .collect();
    ensure!(!story.unread || unread_count > 0, "marked unread but the last message is a reply");
    Ok(Thread {
        name: story.name.clone(),
        phone,
        group: story.group,
        assignee: story.assignee,
        favorite: story.favorite,
        archived: story.archived,
        unread_count,
        messages,
    })
}

/// A mobile number of `country` that the app's parser accepts, new to
/// `seen`, and not one the sandbox treats specially (ending 0000, 0001, 0429).
fn phone_of(country: &str, rng: &mut StdRng, seen: &mut HashSet<E164Phone>) -> anyhow::Result<E164Phone> {
    let digits = |rng: &mut StdRng, n: usize| -> String {
        (0..n).map(|_| char::from(b'0' + rng.random_range(0..10u8))).collect()
    };
    let pick = |rng: &mut StdRng, options: &[&str]| options[rng.random_range(0..options.len())].to_owned();
    for _ in 0..100 {
        let raw = match country {
            "GB" => format!("+447{}{}", rng.random_range(4..10u8), digits(rng, 8)),
            "IE" => format!("+3538{}{}", pick(rng, &["3", "5", "6", "7", "9"]), digits(rng, 7)),
            "US" => format!(
                "+1{}{}{}",
                pick(rng, &["212", "415", "646", "312", "617"]),
                rng.random_range(2..10u8),
                digits(rng, 6)
            ),
            "DE" => format!("+4915{}{}", pick(rng, &["1", "2", "7"]), digits(rng, 8)),
            "FR" => format!("+336{}", digits(rng, 8)),
            "ES" => format!("+346{}", digits(rng, 8)),
            "PT" => format!("+3519{}{}", pick(rng, &["1", "2", "3", "6"]), digits(rng, 7)),
            "IT" => format!("+393{}{}", pick(rng, &["20", "28", "33", "35", "38", "40", "47", "49"]), digits(rng, 7)),
            "NL" => format!("+316{}", digits(rng, 8)),
            "BR" => format!("+55{}9{}", pick(rng, &["11", "21", "31", "41"]), digits(rng, 8)),
            "MA" => format!("+2126{}", digits(rng, 8)),
            "AE" => format!("+9715{}{}", pick(rng, &["0", "2", "5", "6"]), digits(rng, 7)),
            "SE" => format!("+467{}{}", pick(rng, &["0", "2", "3", "6"]), digits(rng, 7)),
            "PL" => {
                format!("+48{}{}", pick(rng, &["50", "51", "53", "60", "66", "69", "72", "79", "88"]), digits(rng, 7))
            }
            "IN" => format!("+919{}", digits(rng, 9)),
            other => bail!("no numbering plan for country {other}"),
        };
        if ["0000", "0001", "0429"].iter().any(|end| raw.ends_with(end)) {
            continue;
        }
        if let Ok(phone) = E164Phone::parse(&raw)
            && seen.insert(phone.clone())
        {
            return Ok(phone);
        }
    }
    bail!("no valid number for country {country}")
}

#[cfg(test)]
mod tests {
    use chrono::Timelike;

    use super::*;

    #[test]
    fn at_any_time_of_day_the_week_is_past_recent_and_agents_keep_opening_hours() {
        let day = "2026-03-10T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        // Around the day's edges, and around 10:00, where the week stops
        // moving back a day (day 0 ends, day -6 starts).
        let times = ["00:00", "06:30", "08:00", "09:30", "09:45", "09:50", "09:55", "10:00", "10:05", "10:15", "10:35"];
        for time in times.into_iter().chain(["13:00", "18:59", "23:59"]) {
            let (h, m) = time.split_once(':').unwrap();
            let now = day + Duration::hours(h.parse().unwrap()) + Duration::minutes(m.parse().unwrap());
            let demo = plan(now).unwrap();
            for t in &demo.threads {
                for m in &t.messages {
                    assert!(m.at < now && m.at > now - Duration::days(7), "{} at {} (now {now})", t.name, m.at);
                    if matches!(m.speaker, Speaker::Agent { .. }) {
                        let s = i64::from(m.at.num_seconds_from_midnight());
                        assert!((OPENS..CLOSES).contains(&s), "{} answered at {} (now {now})", t.name, m.at);
                    }
                }
                assert!(t.messages.windows(2).all(|w| w[0].at < w[1].at), "{} in order", t.name);
            }
        }
    }
}
