//! The demo's description language: short scripts of who says what, when.
//!
//! `stories.txt` holds two kinds of sections. A story (`## Name | CC | flags`)
//! is one customer's chat; an exchange (`== set`) is a small question and
//! answer that the generator strings together into longer chats. A line is
//! `timing speaker text`:
//!
//! - timing: `-2 21:47` (two days before the demo's last day, at 21:47 shop
//!   time), `09:14` (same day), `next 09:14` (the day after), `+3m`, `+2h`,
//!   `+1d` or a range `+2m..20m` (after the line before), `*` (an exchange's
//!   first line: when the generator starts it);
//! - speaker: `c` the customer, `a` Ana, `b` Ben; `a!`/`b!` a send that failed;
//!   `~N` generates N exchanges of a set: `~60 wholesale gap 20m..150m`;
//! - text: plain, or `[photo] caption`, `[voice]`, `[location lat,lng] place`.
//!
//! Flags: `@ana`/`@ben` (assignee), `fav`, `archived`, `unread` (the
//! customer's messages after the last reply are unread), `group`.

/// One of the two demo agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agent {
    Ana,
    Ben,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speaker {
    Customer,
    Agent { agent: Agent, failed: bool },
}

/// When a line is said, in seconds. Day offsets count from the demo's last
/// day (0); times of day are the shop's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    At { day: i64, second_of_day: i64 },
    SameDay { second_of_day: i64 },
    NextDay { second_of_day: i64 },
    After { min: i64, max: i64 },
    Start,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Say { when: When, speaker: Speaker, body: String },
    Generate { when: When, count: usize, set: String, gap: (i64, i64) },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Story {
    pub name: String,
    /// ISO 3166 country code: where the customer's number is from.
    pub country: String,
    pub assignee: Option<Agent>,
    pub favorite: bool,
    pub archived: bool,
    pub unread: bool,
    pub group: bool,
    pub steps: Vec<Step>,
}

/// A question and its answer, with placeholders (`{first}`, `{order}`, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    pub set: String,
    pub lines: Vec<Step>,
}

#[derive(Debug, Default)]
pub struct Description {
    pub stories: Vec<Story>,
    pub exchanges: Vec<Exchange>,
}

const DAY: i64 = 86_400;

/// Reads the description; an error names the line.
pub fn parse(text: &str) -> Result<Description, String> {
    let mut out = Description::default();
    // Lines go to the section opened last.
    enum Section {
        None,
        Story,
        Exchange,
    }
    let mut section = Section::None;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || (line.starts_with('#') && !line.starts_with("##")) {
            continue;
        }
        let fail = |why: &str| format!("stories.txt line {}: {why}: {line}", n + 1);
        if let Some(header) = line.strip_prefix("##") {
            out.stories.push(story_header(header).map_err(|e| fail(&e))?);
            section = Section::Story;
        } else if let Some(set) = line.strip_prefix("==") {
            out.exchanges.push(Exchange { set: set.trim().to_owned(), lines: Vec::new() });
            section = Section::Exchange;
        } else {
            let steps = match section {
                Section::Story => &mut out.stories.last_mut().expect("a story is open").steps,
                Section::Exchange => &mut out.exchanges.last_mut().expect("an exchange is open").lines,
                Section::None => return Err(fail("a line before any story or exchange")),
            };
            steps.push(step(line).map_err(|e| fail(&e))?);
        }
    }
    Ok(out)
}

fn story_header(header: &str) -> Result<Story, String> {
    let mut parts = header.split('|').map(str::trim);
    let name = parts.next().filter(|n| !n.is_empty()).ok_or("a story without a name")?;
    let country = parts.next().filter(|c| c.len() == 2).ok_or("a story without a two-letter country")?;
    let mut story = Story {
        name: name.to_owned(),
        country: country.to_owned(),
        assignee: None,
        favorite: false,
        archived: false,
        unread: false,
        group: false,
        steps: Vec::new(),
    };
    for flag in parts.flat_map(str::split_whitespace) {
        match flag {
            "@ana" => story.assignee = Some(Agent::Ana),
            "@ben" => story.assignee = Some(Agent::Ben),
            "fav" => story.favorite = true,
            "archived" => story.archived = true,
            "unread" => story.unread = true,
            "group" => story.group = true,
            other => return Err(format!("unknown flag {other:?}")),
        }
    }
    Ok(story)
}

fn step(line: &str) -> Result<Step, String> {
    let (when, rest) = timing(line)?;
    let (speaker, body) = rest.split_once(' ').unwrap_or((rest, ""));
    let body = body.trim().to_owned();
    if let Some(count) = speaker.strip_prefix('~') {
        let count = count.parse().map_err(|_| "~ takes a count")?;
        let mut words = body.split_whitespace();
        let set = words.next().ok_or("~N takes a set")?.to_owned();
        let gap = match (words.next(), words.next()) {
            (Some("gap"), Some(range)) => range_of(range)?,
            (None, _) => (2 * 3600, 20 * 3600),
            _ => return Err("after the set: gap A..B".into()),
        };
        return Ok(Step::Generate { when, count, set, gap });
    }
    let speaker = match speaker {
        "c" => Speaker::Customer,
        "a" => Speaker::Agent { agent: Agent::Ana, failed: false },
        "b" => Speaker::Agent { agent: Agent::Ben, failed: false },
        "a!" => Speaker::Agent { agent: Agent::Ana, failed: true },
        "b!" => Speaker::Agent { agent: Agent::Ben, failed: true },
        other => return Err(format!("unknown speaker {other:?}")),
    };
    if body.is_empty() {
        return Err("a line without text".into());
    }
    Ok(Step::Say { when, speaker, body })
}

/// The timing at the start of `line`, and the rest.
fn timing(line: &str) -> Result<(When, &str), String> {
    let (first, rest) = line.split_once(' ').ok_or("a line without text")?;
    let rest = rest.trim_start();
    if first == "*" {
        return Ok((When::Start, rest));
    }
    if let Some(gap) = first.strip_prefix('+') {
        let (min, max) = range_of(gap)?;
        return Ok((When::After { min, max }, rest));
    }
    // The forms with a clock: `-N HH:MM`, `next HH:MM`, `HH:MM`.
    let day = match first.strip_prefix('-') {
        Some(day) => Some(-day.parse::<i64>().map_err(|_| "a day is -N")?),
        None => None,
    };
    let (clock, rest) = if day.is_some() || first == "next" {
        rest.split_once(' ').ok_or("a line without text")?
    } else {
        (first, rest)
    };
    let second_of_day = clock_of(clock)?;
    let when = match day {
        Some(day) => When::At { day, second_of_day },
        None if first == "next" => When::NextDay { second_of_day },
        None => When::SameDay { second_of_day },
    };
    Ok((when, rest.trim_start()))
}

fn clock_of(clock: &str) -> Result<i64, String> {
    let (h, m) = clock.split_once(':').ok_or_else(|| format!("{clock:?} is not HH:MM"))?;
    let (h, m): (i64, i64) = (h.parse().map_err(|_| "bad hour")?, m.parse().map_err(|_| "bad minute")?);
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return Err(format!("{clock:?} is not a time of day"));
    }
    Ok(h * 3600 + m * 60)
}

/// `3m`, `2h`, `1d`, `30s` or a range `2m..20m`, in seconds.
fn range_of(text: &str) -> Result<(i64, i64), String> {
    let one = |t: &str| -> Result<i64, String> {
        let unit = match t.chars().last() {
            Some('s') => 1,
            Some('m') => 60,
            Some('h') => 3600,
            Some('d') => DAY,
            _ => return Err(format!("{t:?} is not a duration")),
        };
        let n: i64 = t[..t.len() - 1].parse().map_err(|_| format!("{t:?} is not a duration"))?;
        Ok(n * unit)
    };
    match text.split_once("..") {
        Some((a, b)) if one(a)? <= one(b)? => Ok((one(a)?, one(b)?)),
        Some(_) => Err(format!("{text:?}: the range runs backwards")),
        None => one(text).map(|d| (d, d)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_story_reads_as_its_header_and_timed_lines() {
        let d = parse(
            "## Olivia Bennett | GB | @ana fav\n\
             -2 21:47 c Hi! Where is my order?\n\
             next 09:14 a Good morning!\n\
             +3m..5m a! [photo] Your parcel\n\
             +1d ~2 retail gap 1h..3h\n\
             == retail\n\
             * c Is it washable?\n",
        )
        .unwrap();
        let s = &d.stories[0];
        assert_eq!(
            (s.name.as_str(), s.country.as_str(), s.assignee, s.favorite),
            ("Olivia Bennett", "GB", Some(Agent::Ana), true)
        );
        assert_eq!(
            s.steps[0],
            Step::Say {
                when: When::At { day: -2, second_of_day: 21 * 3600 + 47 * 60 },
                speaker: Speaker::Customer,
                body: "Hi! Where is my order?".into()
            }
        );
        assert!(matches!(s.steps[1], Step::Say { when: When::NextDay { second_of_day: 33240 }, .. }));
        assert!(matches!(
            s.steps[2],
            Step::Say {
                when: When::After { min: 180, max: 300 },
                speaker: Speaker::Agent { agent: Agent::Ana, failed: true },
                ..
            }
        ));
        assert_eq!(
            s.steps[3],
            Step::Generate {
                when: When::After { min: DAY, max: DAY },
                count: 2,
                set: "retail".into(),
                gap: (3600, 10800)
            }
        );
        assert_eq!(d.exchanges[0].set, "retail");
        assert!(matches!(d.exchanges[0].lines[0], Step::Say { when: When::Start, .. }));
    }

    #[test]
    fn a_mistake_in_the_description_names_its_line() {
        assert!(parse("## A | GB\n-1 25:00 c Hi").unwrap_err().contains("line 2"));
        assert!(parse("## A | GB | vip").unwrap_err().contains("unknown flag"));
        assert!(parse("## A | GB\n+5m x Hi").unwrap_err().contains("unknown speaker"));
        assert!(parse("c Hi").unwrap_err().contains("before any story"));
    }
}
