//! A message's text as WhatsApp shows it: links, phone numbers and email
//! addresses made clickable, and WhatsApp's formatting (`*bold*`, `_italic_`,
//! `~strike~`, `` `code` `` and ```` ```monospace``` ````).
//!
//! Pure: [`parse`] turns the text into a tree of [`Span`]s, which the view
//! renders as elements and text nodes (never as HTML). Every character of the
//! text is in the tree except the formatting markers that were applied.
//!
//! The rules, as WhatsApp describes them (where it does not, as noted):
//! - A marker opens at a word boundary (the start, or after whitespace or
//!   punctuation) and must be followed by a non-space; it closes at the first
//!   same marker that follows a non-space and comes before a boundary (the
//!   end, whitespace or punctuation). So `2*3*4` and `snake_case_name` stay
//!   as they are.
//! - Bold, italic, strike and inline code stay within a line; a monospace
//!   block may span lines (and its text may start and end with a newline).
//! - Nothing inside code or monospace is formatted or linked, and markers
//!   inside a link do not format (`https://x.com/a_b_c` is one link).
//! - A marker does not nest in itself: in `*a *b* c*` the first `*` closes
//!   at the first valid one after it (our choice; different markers nest,
//!   as in `*_both_*`).
//!
//! Links are `http://`, `https://` and `www.` (which gets `https://`); no
//! other scheme is ever a link. Punctuation at a link's end is not part of
//! it, but a closing bracket that balances one inside the link is.
//!
//! Where each marker and code span could close is looked up in tables
//! built once, not searched for again at every opening marker, so a long
//! text full of markers that never close still takes one pass.

/// A piece of a message's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Span {
    Text(String),
    Bold(Vec<Span>),
    Italic(Vec<Span>),
    Strike(Vec<Span>),
    /// Inline `` `code` ``.
    Code(String),
    /// A ```` ```monospace``` ```` block, newlines kept.
    Mono(String),
    /// A web link (`http:`/`https:`), a `mailto:` or a `tel:` link; `text`
    /// is what the message says.
    Link {
        href: String,
        text: String,
    },
}

/// The message `text` as spans. A text without links or formatting is one
/// [`Span::Text`] holding it unchanged; an empty text is no spans.
pub fn parse(text: &str) -> Vec<Span> {
    let items = Atoms::new(text).collect();
    Formatter::new(items).run()
}

/// The three markers that format the text around links and code.
const MARKERS: [char; 3] = ['*', '_', '~'];

/// Punctuation that ends a sentence rather than a link.
const TRAILING: &[char] = &['.', ',', ':', ';', '!', '?', '\'', '"', '*', '_', '~', '…', '。', '、', '，', '！', '？'];

/// A character, or a piece that formatting treats as one opaque unit (a
/// link, code, monospace, or a run of backticks that opened nothing).
#[derive(Debug)]
enum Item {
    Char(char),
    Atom(Span),
}

impl Item {
    /// Whether a marker may open after / close before this item.
    fn is_boundary(item: Option<&Item>) -> bool {
        match item {
            None | Some(Item::Atom(_)) => true,
            Some(Item::Char(c)) => !c.is_alphanumeric(),
        }
    }

    fn is_space(item: Option<&Item>) -> bool {
        match item {
            None => true,
            Some(Item::Atom(_)) => false,
            Some(Item::Char(c)) => c.is_whitespace(),
        }
    }
}

fn is_boundary(c: Option<char>) -> bool {
    c.is_none_or(|c| !c.is_alphanumeric())
}

fn is_space(c: Option<char>) -> bool {
    c.is_none_or(char::is_whitespace)
}

/// For each position, the first position at or after it where `is_at`
/// holds (`len` when there is none).
fn next_where(len: usize, is_at: impl Fn(usize) -> bool) -> Vec<usize> {
    let mut next = vec![len; len + 1];
    for k in (0..len).rev() {
        next[k] = if is_at(k) { k } else { next[k + 1] };
    }
    next
}

/// The first pass: cuts code, monospace, links, emails and phone numbers out
/// of the text, leaving every other character as it is.
struct Atoms {
    chars: Vec<char>,
    at: usize,
    /// Where the next newline is.
    newline: Vec<usize>,
    /// Where the next backtick that can close inline code is.
    code_close: Vec<usize>,
    /// Where the next ```` ``` ```` that can close a monospace block starts.
    mono_close: Vec<usize>,
    /// Where the run of email-local-part characters starting here ends.
    local_end: Vec<usize>,
    /// The last `@` whose domain was read, and where that domain ends.
    domain: Option<(usize, Option<usize>)>,
}

impl Atoms {
    fn new(text: &str) -> Self {
        let chars: Vec<char> = text.chars().collect();
        let len = chars.len();
        let get = |k: usize| chars.get(k).copied();
        let before = |k: usize| k.checked_sub(1).and_then(get);
        let newline = next_where(len, |k| chars[k] == '\n');
        let code_close = next_where(len, |k| chars[k] == '`' && !is_space(before(k)) && is_boundary(get(k + 1)));
        let mono_close = next_where(len, |k| chars[k..].starts_with(&['`'; 3]) && is_boundary(get(k + 3)));
        let mut local_end = vec![len; len + 1];
        for k in (0..len).rev() {
            local_end[k] = if is_email_local(chars[k]) { local_end[k + 1] } else { k };
        }
        Atoms { chars, at: 0, newline, code_close, mono_close, local_end, domain: None }
    }

    fn get(&self, k: usize) -> Option<char> {
        self.chars.get(k).copied()
    }

    fn before(&self, k: usize) -> Option<char> {
        k.checked_sub(1).and_then(|k| self.get(k))
    }

    fn text(&self, from: usize, to: usize) -> String {
        self.chars[from..to].iter().collect()
    }

    /// The atom starting at `i`, and where it ends.
    fn atom_at(&mut self, i: usize) -> Option<(Span, usize)> {
        match self.chars[i] {
            '`' => self.code_at(i),
            '+' => self.phone_at(i),
            c if c.is_alphanumeric() => self.email_at(i).or_else(|| self.url_at(i)),
            _ => None,
        }
    }

    /// Inline code or a monospace block opening at `i`.
    fn code_at(&self, i: usize) -> Option<(Span, usize)> {
        if !is_boundary(self.before(i)) {
            return None;
        }
        if self.chars[i..].starts_with(&['`'; 3]) {
            let close = *self.mono_close.get(i + 3)?;
            let body = self.chars.get(i + 3..close)?;
            if close == self.chars.len() || body.iter().all(|c| c.is_whitespace()) {
                return None;
            }
            return Some((Span::Mono(body.iter().collect()), close + 3));
        }
        if is_space(self.get(i + 1)) || self.get(i + 1) == Some('`') {
            return None;
        }
        let close = self.code_close[i + 2];
        (close < self.newline[i]).then(|| (Span::Code(self.text(i + 1, close)), close + 1))
    }

    /// A web link starting at `i`: `http://`, `https://` or `www.`.
    fn url_at(&self, i: usize) -> Option<(Span, usize)> {
        if self.before(i).is_some_and(|c| c.is_alphanumeric() || matches!(c, '.' | '@' | '/')) {
            return None;
        }
        let starts = |prefix: &str| {
            let n = prefix.chars().count();
            let head = self.chars.get(i..i + n)?;
            head.iter().zip(prefix.chars()).all(|(a, b)| a.to_ascii_lowercase() == b).then_some(n)
        };
        let (host, www) = match (starts("https://"), starts("http://"), starts("www.")) {
            (Some(n), _, _) | (_, Some(n), _) => (i + n, false),
            (_, _, Some(n)) => (i + n, true),
            _ => return None,
        };
        let mut end = i;
        while self.get(end).is_some_and(is_url_char) {
            end += 1;
        }
        while end > host && self.is_trailing(i, end) {
            end -= 1;
        }
        let host_part = self.chars.get(host..end)?;
        let host_name = host_part.split(|c| matches!(c, '/' | '?' | '#' | ':')).next().unwrap_or_default();
        let named = host_name.first().is_some_and(|c| c.is_alphanumeric());
        // `www.` needs a domain after it: www.example.com, not www.example.
        if !named || (www && !host_name.contains(&'.')) {
            return None;
        }
        let text = self.text(i, end);
        let href = if www { format!("https://{text}") } else { text.clone() };
        Some((Span::Link { href, text }, end))
    }

    /// Whether the last character of the link `start..end` is punctuation
    /// after it rather than part of it.
    fn is_trailing(&self, start: usize, end: usize) -> bool {
        let last = self.chars[end - 1];
        let unbalanced = |open: char, close: char| {
            let link = &self.chars[start..end];
            link.iter().filter(|&&c| c == close).count() > link.iter().filter(|&&c| c == open).count()
        };
        match last {
            ')' => unbalanced('(', ')'),
            ']' => unbalanced('[', ']'),
            '}' => unbalanced('{', '}'),
            c => TRAILING.contains(&c),
        }
    }

    /// An email address starting at `i`.
    fn email_at(&mut self, i: usize) -> Option<(Span, usize)> {
        let c = self.chars[i];
        // After `_` it may start: `_ana@x.com_` is an address in italics.
        let glued = |c: char| c.is_alphanumeric() || matches!(c, '.' | '%' | '+' | '-' | '@');
        if !c.is_ascii_alphanumeric() || self.before(i).is_some_and(glued) {
            return None;
        }
        let at = self.local_end[i];
        if self.get(at) != Some('@') {
            return None;
        }
        let end = match self.domain {
            Some((seen, end)) if seen == at => end,
            _ => {
                let end = self.domain_end(at + 1);
                self.domain = Some((at, end));
                end
            }
        }?;
        let text = self.text(i, end);
        Some((Span::Link { href: format!("mailto:{text}"), text }, end))
    }

    /// Where the email domain starting at `from` ends: two or more labels,
    /// the last one letters only.
    fn domain_end(&self, from: usize) -> Option<usize> {
        let is_label = |c: char| c.is_ascii_alphanumeric() || c == '-';
        let (mut end, mut labels, mut last) = (from, 0, from);
        loop {
            if !self.get(end).is_some_and(|c| c.is_ascii_alphanumeric()) {
                break;
            }
            last = end;
            while self.get(end).is_some_and(is_label) {
                end += 1;
            }
            labels += 1;
            if self.get(end) == Some('.') && self.get(end + 1).is_some_and(|c| c.is_ascii_alphanumeric()) {
                end += 1;
            } else {
                break;
            }
        }
        let tld = &self.chars[last..end];
        (labels >= 2 && tld.len() >= 2 && tld.iter().all(char::is_ascii_alphabetic)).then_some(end)
    }

    /// A phone number starting at `i`: `+`, then 8 to 15 digits in groups
    /// that single spaces or dashes may separate.
    fn phone_at(&self, i: usize) -> Option<(Span, usize)> {
        if !is_boundary(self.before(i)) {
            return None;
        }
        // Where each group of digits ends, and the digits up to there.
        let mut ends = Vec::new();
        let (mut k, mut digits) = (i + 1, 0);
        while self.get(k).is_some_and(|c| c.is_ascii_digit()) {
            while self.get(k).is_some_and(|c| c.is_ascii_digit()) {
                k += 1;
                digits += 1;
            }
            ends.push((k, digits));
            if self.get(k).is_some_and(|c| c == ' ' || c == '-') && self.get(k + 1).is_some_and(|c| c.is_ascii_digit())
            {
                k += 1;
            }
        }
        // The longest that is a number: a longer run of digits may be a
        // number followed by other numbers ("+49 151 12345678 2024").
        let &(end, _) =
            ends.iter().rev().find(|&&(end, digits)| (8..=15).contains(&digits) && is_boundary(self.get(end)))?;
        let text = self.text(i, end);
        let href = format!("tel:+{}", text.chars().filter(char::is_ascii_digit).collect::<String>());
        Some((Span::Link { href, text }, end))
    }
}

impl Iterator for Atoms {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        let i = self.at;
        let c = self.get(i)?;
        if let Some((atom, end)) = self.atom_at(i) {
            self.at = end;
            return Some(Item::Atom(atom));
        }
        if c == '`' {
            // A run of backticks that opened nothing is text, all of it: its
            // last backtick must not open inline code.
            let mut end = i + 1;
            while self.get(end) == Some('`') {
                end += 1;
            }
            self.at = end;
            return Some(if end - i > 1 { Item::Atom(Span::Text(self.text(i, end))) } else { Item::Char(c) });
        }
        self.at = i + 1;
        Some(Item::Char(c))
    }
}

fn is_url_char(c: char) -> bool {
    !c.is_whitespace() && !c.is_control() && !matches!(c, '<' | '>' | '"' | '`')
}

fn is_email_local(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

/// The second pass: bold, italic and strike over characters and atoms.
struct Formatter {
    items: Vec<Item>,
    /// The marker each item can open, if any.
    opens: Vec<Option<usize>>,
    /// Where the next newline is.
    newline: Vec<usize>,
    /// For each marker, where the next item that can close it is.
    close: [Vec<usize>; 3],
}

impl Formatter {
    fn new(items: Vec<Item>) -> Self {
        let len = items.len();
        let newline = next_where(len, |k| matches!(items[k], Item::Char('\n')));
        let opens = (0..len)
            .map(|k| {
                let Item::Char(c) = items[k] else { return None };
                let m = MARKERS.iter().position(|&m| m == c)?;
                let before = k.checked_sub(1).map(|k| &items[k]);
                (Item::is_boundary(before) && !Item::is_space(items.get(k + 1))).then_some(m)
            })
            .collect();
        let close = MARKERS.map(|m| {
            next_where(len, |k| {
                matches!(items[k], Item::Char(c) if c == m)
                    && k > 0
                    && !Item::is_space(items.get(k - 1))
                    && Item::is_boundary(items.get(k + 1))
            })
        });
        Formatter { items, opens, newline, close }
    }

    fn run(mut self) -> Vec<Span> {
        let len = self.items.len();
        let mut out = Vec::new();
        self.format(0, len, [false; 3], &mut out);
        out
    }

    /// Formats `from..to` into `out`; `open` holds the markers already
    /// applied around it.
    fn format(&mut self, from: usize, to: usize, open: [bool; 3], out: &mut Vec<Span>) {
        let mut text = String::new();
        let mut i = from;
        while i < to {
            if let Some((m, close)) = self.closed_at(i, to, open) {
                flush(&mut text, out);
                let mut inner = Vec::new();
                let mut now_open = open;
                now_open[m] = true;
                self.format(i + 1, close, now_open, &mut inner);
                out.push(match MARKERS[m] {
                    '*' => Span::Bold(inner),
                    '_' => Span::Italic(inner),
                    _ => Span::Strike(inner),
                });
                i = close + 1;
                continue;
            }
            // Each item is visited once; what is left behind is never read.
            match std::mem::replace(&mut self.items[i], Item::Char(' ')) {
                Item::Char(c) => text.push(c),
                Item::Atom(Span::Text(t)) => text.push_str(&t),
                Item::Atom(atom) => {
                    flush(&mut text, out);
                    out.push(atom);
                }
            }
            i += 1;
        }
        flush(&mut text, out);
    }

    /// The marker opening at `i` and where it closes, before `to` and on the
    /// same line.
    fn closed_at(&self, i: usize, to: usize, open: [bool; 3]) -> Option<(usize, usize)> {
        let m = self.opens[i].filter(|&m| !open[m])?;
        let close = *self.close[m].get(i + 2)?;
        (close < to && close < self.newline[i]).then_some((m, close))
    }
}

fn flush(text: &mut String, out: &mut Vec<Span>) {
    if !text.is_empty() {
        out.push(Span::Text(std::mem::take(text)));
    }
}

#[cfg(test)]
mod tests {
    use super::Span::*;
    use super::*;

    fn text(s: &str) -> Span {
        Text(s.to_owned())
    }

    fn link(href: &str, text: &str) -> Span {
        Link { href: href.to_owned(), text: text.to_owned() }
    }

    /// What a person reads: the text without the markers applied.
    fn visible(spans: &[Span]) -> String {
        spans
            .iter()
            .map(|s| match s {
                Text(t) | Code(t) | Mono(t) | Link { text: t, .. } => t.clone(),
                Bold(c) | Italic(c) | Strike(c) => visible(c),
            })
            .collect()
    }

    #[test]
    fn plain_text_is_one_text_span_unchanged() {
        let plain = "It left this morning.\nTracking: 123";
        assert_eq!(parse(plain), [text(plain)]);
        assert_eq!(parse(""), []);
    }

    #[test]
    fn http_and_https_links_are_links() {
        assert_eq!(
            parse("see https://example.com/a?b=1#c now"),
            [text("see "), link("https://example.com/a?b=1#c", "https://example.com/a?b=1#c"), text(" now")]
        );
        assert_eq!(parse("http://example.com"), [link("http://example.com", "http://example.com")]);
        assert_eq!(parse("HTTPS://EXAMPLE.COM"), [link("HTTPS://EXAMPLE.COM", "HTTPS://EXAMPLE.COM")]);
    }

    #[test]
    fn a_www_link_gets_https() {
        assert_eq!(
            parse("go to www.example.com/shop."),
            [text("go to "), link("https://www.example.com/shop", "www.example.com/shop"), text(".")]
        );
        assert_eq!(parse("www.example"), [text("www.example")]);
        assert_eq!(parse("awww.example.com"), [text("awww.example.com")]);
    }

    #[test]
    fn trailing_punctuation_is_not_part_of_a_link() {
        for end in [".", ",", ")", "!", "?", ":", ";", "...", "!)", "'", "\""] {
            assert_eq!(
                parse(&format!("https://example.com/x{end}")),
                [link("https://example.com/x", "https://example.com/x"), text(end)],
                "{end}"
            );
        }
        assert_eq!(
            parse("(see https://example.com)"),
            [text("(see "), link("https://example.com", "https://example.com"), text(")")]
        );
    }

    #[test]
    fn balanced_parentheses_inside_a_link_are_part_of_it() {
        let wiki = "https://en.wikipedia.org/wiki/Rust_(programming_language)";
        assert_eq!(parse(wiki), [link(wiki, wiki)]);
        assert_eq!(parse(&format!("({wiki}).")), [text("("), link(wiki, wiki), text(").")]);
    }

    #[test]
    fn no_other_scheme_is_ever_a_link() {
        for s in
            ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<b>x</b>", "ftp://example.com", "https://"]
        {
            assert_eq!(parse(s), [text(s)], "{s}");
        }
        // A web link after it is a link, and only that part.
        assert_eq!(parse("javascript:https://x.com"), [text("javascript:"), link("https://x.com", "https://x.com")]);
    }

    #[test]
    fn a_link_ends_at_whitespace_and_angle_brackets() {
        assert_eq!(
            parse("<https://example.com>"),
            [text("<"), link("https://example.com", "https://example.com"), text(">")]
        );
        assert_eq!(
            parse("https://a.com\nhttps://b.com"),
            [link("https://a.com", "https://a.com"), text("\n"), link("https://b.com", "https://b.com")]
        );
    }

    #[test]
    fn markers_inside_a_link_do_not_format() {
        let url = "https://x.com/a_b_c";
        assert_eq!(parse(url), [link(url, url)]);
        let url = "https://x.com/*a*/~b~/c";
        assert_eq!(parse(url), [link(url, url)]);
    }

    #[test]
    fn a_formatted_link_is_a_link_inside_the_formatting() {
        assert_eq!(parse("*https://x.com*"), [Bold(vec![link("https://x.com", "https://x.com")])]);
        assert_eq!(
            parse("_see www.x.com/a_b_"),
            [Italic(vec![text("see "), link("https://www.x.com/a_b", "www.x.com/a_b")])]
        );
        assert_eq!(parse("_www.x.com/a_b_"), [Italic(vec![link("https://www.x.com/a_b", "www.x.com/a_b")])]);
    }

    #[test]
    fn email_addresses_are_mailto_links() {
        assert_eq!(
            parse("write to ana.lopez+shop@example.co.uk."),
            [text("write to "), link("mailto:ana.lopez+shop@example.co.uk", "ana.lopez+shop@example.co.uk"), text(".")]
        );
        assert_eq!(parse("john_doe@x.com"), [link("mailto:john_doe@x.com", "john_doe@x.com")]);
        assert_eq!(parse("_ana@x.com_"), [Italic(vec![link("mailto:ana@x.com", "ana@x.com")])]);
        for s in ["@handle", "ana@localhost", "ana@x.c", "ana@x.123", "a@@x.com"] {
            assert_eq!(parse(s), [text(s)], "{s}");
        }
    }

    #[test]
    fn phone_numbers_are_tel_links() {
        assert_eq!(
            parse("call +49 151 1234 5678!"),
            [text("call "), link("tel:+4915112345678", "+49 151 1234 5678"), text("!")]
        );
        assert_eq!(parse("+1-415-555-0100"), [link("tel:+14155550100", "+1-415-555-0100")]);
        assert_eq!(parse("+14155550100"), [link("tel:+14155550100", "+14155550100")]);
        // A number followed by other numbers: the longest that fits.
        assert_eq!(
            parse("+49 151 1234 5678 2024 items"),
            [link("tel:+4915112345678", "+49 151 1234 5678"), text(" 2024 items")]
        );
    }

    #[test]
    fn too_short_too_long_or_glued_numbers_are_not_phone_numbers() {
        for s in
            ["+1234567", "+1234567890123456", "2+49151123456", "+4915112345678x", "+ 4915112345678", "+49  151 12345"]
        {
            assert_eq!(parse(s), [text(s)], "{s}");
        }
    }

    #[test]
    fn bold_italic_and_strike_are_formatted() {
        assert_eq!(parse("*bold*"), [Bold(vec![text("bold")])]);
        assert_eq!(parse("_italic_"), [Italic(vec![text("italic")])]);
        assert_eq!(parse("~strike~"), [Strike(vec![text("strike")])]);
        assert_eq!(parse("a *very good* day"), [text("a "), Bold(vec![text("very good")]), text(" day")]);
        assert_eq!(parse("(*yes*)."), [text("("), Bold(vec![text("yes")]), text(").")]);
    }

    #[test]
    fn bold_and_italic_nest() {
        assert_eq!(parse("*_both_*"), [Bold(vec![Italic(vec![text("both")])])]);
        assert_eq!(
            parse("_it *and bold* too_"),
            [Italic(vec![text("it "), Bold(vec![text("and bold")]), text(" too")])]
        );
    }

    #[test]
    fn a_marker_inside_a_word_is_not_formatting() {
        for s in ["2*3*4", "snake_case_name", "a~b~c", "*bold*text", "text*bold*"] {
            assert_eq!(parse(s), [text(s)], "{s}");
        }
    }

    #[test]
    fn a_marker_next_to_a_space_is_not_formatting() {
        for s in ["* not bold*", "*not bold *", "a * b * c", "**", "_ _"] {
            assert_eq!(parse(s), [text(s)], "{s}");
        }
    }

    #[test]
    fn an_unclosed_marker_is_text() {
        for s in ["*bold", "_italic", "~strike", "`code", "```mono", "*a _b"] {
            assert_eq!(visible(&parse(s)), s, "{s}");
        }
        assert_eq!(parse("*bold"), [text("*bold")]);
        // The italic marker would close after the bold one: it does not open.
        assert_eq!(parse("*a _b* c_"), [Bold(vec![text("a _b")]), text(" c_")]);
    }

    #[test]
    fn formatting_closes_at_the_first_valid_marker_and_does_not_nest_in_itself() {
        assert_eq!(parse("*a *b* c*"), [Bold(vec![text("a *b")]), text(" c*")]);
        assert_eq!(parse("*a*b*"), [Bold(vec![text("a*b")])]);
    }

    #[test]
    fn formatting_stays_within_a_line() {
        assert_eq!(parse("*one\ntwo*"), [text("*one\ntwo*")]);
        assert_eq!(parse("*one*\n_two_"), [Bold(vec![text("one")]), text("\n"), Italic(vec![text("two")])]);
    }

    #[test]
    fn inline_code_and_monospace_blocks_are_code() {
        assert_eq!(parse("run `cargo test` now"), [text("run "), Code("cargo test".into()), text(" now")]);
        assert_eq!(parse("```mono```"), [Mono("mono".into())]);
        assert_eq!(
            parse("before\n```\nfn main() {\n    *x = 1;\n}\n```\nafter"),
            [text("before\n"), Mono("\nfn main() {\n    *x = 1;\n}\n".into()), text("\nafter")]
        );
        assert_eq!(parse("`one\ntwo`"), [text("`one\ntwo`")]);
        for s in ["a`b`c", "` x`", "``", "``````", "``` ```", "``x``"] {
            assert_eq!(visible(&parse(s)), s, "{s}");
            assert!(parse(s).iter().all(|s| matches!(s, Text(_))), "{s}");
        }
    }

    #[test]
    fn nothing_inside_code_is_formatted_or_linked() {
        assert_eq!(parse("`*not bold* https://x.com`"), [Code("*not bold* https://x.com".into())]);
        assert_eq!(parse("```_a_ +4915112345678 a@b.com```"), [Mono("_a_ +4915112345678 a@b.com".into())]);
        assert_eq!(parse("*bold `code`*"), [Bold(vec![text("bold "), Code("code".into())])]);
    }

    #[test]
    fn html_stays_text() {
        let s = "<img src=x onerror=alert(1)> <b>hi</b> &amp; <script>alert(1)</script>";
        assert_eq!(parse(s), [text(s)]);
        assert_eq!(parse("*<b>x</b>*"), [Bold(vec![text("<b>x</b>")])]);
    }

    #[test]
    fn emoji_and_non_latin_text_is_untouched() {
        for s in ["مرحبا، كيف حالك؟", "שלום עולם", "你好，世界", "Привет, мир", "👋🏽 hi 👨‍👩‍👧", "e\u{301}te\u{301}"]
        {
            assert_eq!(parse(s), [text(s)], "{s}");
        }
        assert_eq!(parse("*مرحبا*"), [Bold(vec![text("مرحبا")])]);
        assert_eq!(parse("👋*hi*👋"), [text("👋"), Bold(vec![text("hi")]), text("👋")]);
        // Letters of any script make a word: no formatting inside one.
        assert_eq!(parse("كلمة_كلمة_كلمة"), [text("كلمة_كلمة_كلمة")]);
    }

    #[test]
    fn newlines_are_preserved() {
        let s = "line one\n\nline three\n";
        assert_eq!(parse(s), [text(s)]);
        let s = "*a*\nhttps://x.com\n\n`c`\n";
        assert_eq!(visible(&parse(s)), "a\nhttps://x.com\n\nc\n");
    }

    #[test]
    fn the_visible_text_is_the_message_without_the_applied_markers() {
        let s = "Hi *Ana*, your _order_ ~#12~ ships `today`: https://x.com/t?id=1 (or www.x.com). +1 415 555 0100";
        assert_eq!(
            visible(&parse(s)),
            "Hi Ana, your order #12 ships today: https://x.com/t?id=1 (or www.x.com). +1 415 555 0100"
        );
    }

    #[test]
    fn any_text_keeps_all_but_the_applied_markers_and_links_only_to_safe_schemes() {
        // Random texts from the pieces that matter, from a fixed seed so a
        // failure repeats.
        const PIECES: &[&str] = &[
            "*",
            "_",
            "~",
            "`",
            "```",
            " ",
            "\n",
            "a",
            "b",
            "2",
            "(",
            ")",
            ".",
            ",",
            "@",
            "+",
            "-",
            "x.com",
            "https://",
            "www.",
            "javascript:",
            "<img>",
            "مرحبا",
            "👋",
            "+49 151 1234 5678",
            "a@b.co",
        ];
        fn check(spans: &[Span], s: &str) {
            for span in spans {
                match span {
                    Text(t) | Code(t) | Mono(t) => assert!(!t.is_empty(), "{s:?}"),
                    Bold(c) | Italic(c) | Strike(c) => {
                        assert!(!c.is_empty(), "{s:?}");
                        check(c, s);
                    }
                    Link { href, text } => {
                        let safe = ["http://", "https://", "mailto:", "tel:+"];
                        assert!(safe.iter().any(|p| href.to_ascii_lowercase().starts_with(p)), "{href} in {s:?}");
                        assert!(href.ends_with(text.as_str()) || href.starts_with("tel:"), "{s:?}");
                    }
                }
            }
        }
        let unmarked = |s: &str| s.replace(['*', '_', '~', '`'], "");
        let mut seed: u64 = 17;
        let mut next = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize
        };
        for _ in 0..20_000 {
            let s: String = (0..next() % 24).map(|_| PIECES[next() % PIECES.len()]).collect();
            let spans = parse(&s);
            check(&spans, &s);
            assert_eq!(unmarked(&visible(&spans)), unmarked(&s), "{s:?}");
        }
    }

    #[test]
    fn a_long_text_of_markers_that_never_close_parses_in_one_pass() {
        // Every marker opens and none closes; searching the rest of the text
        // for each would take minutes.
        let s = "*a _b ~c `d x@y ".repeat(20_000);
        let started = std::time::Instant::now();
        assert_eq!(visible(&parse(&s)), s);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}
