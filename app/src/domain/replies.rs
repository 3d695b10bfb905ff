//! Partner replies by email: the reply address each notification carries, and what of an
//! answer is the partner's own words.
//!
//! The address is `reply+<key>@<reply domain>`: the key is 20 random bytes in lowercase
//! base32 (32 letters and digits, because some mail servers lowercase the local part), and
//! the portal keeps only its hash, like any other bearer secret. Junk is refused at `RCPT`
//! by shape before the database is asked.
//!
//! Quoted text is cut with our own take on the known bottom-up fragment approach: the
//! notification starts with a marker line ("reply above this line"); failing that, the
//! first quote header a mail client writes ("On … wrote:", its French, German, Spanish,
//! Italian, Dutch and Portuguese forms, Outlook's "From:/Sent:/Subject:" block or its
//! "Original Message" rule) ends the reply; then trailing quoted lines, blank lines and a
//! signature are dropped from the bottom up. Inline answers between quoted lines (bottom
//! posting) keep their quotes, which give the answer its context.

/// The first line of every notification a partner may answer.
pub const REPLY_MARKER: &str = "— Reply above this line —";
/// The local part before the key.
const LOCAL_PREFIX: &str = "reply+";
/// Letters of a key: RFC 4648 base32, lowercased.
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
/// Random bytes in a key, and its length as text.
pub const KEY_BYTES: usize = 20;
pub const KEY_CHARS: usize = 32;
/// Longest reply kept as the partner's words (the original is stored whole).
pub const MAX_REPLY_CHARS: usize = 10_000;
/// How long a notification can be answered.
pub const REPLY_WINDOW_MS: i64 = 180 * 86_400_000;

/// A key as it appears in the reply address.
pub fn encode_key(bytes: &[u8; KEY_BYTES]) -> String {
    let mut out = String::with_capacity(KEY_CHARS);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    out
}

/// What an answerable email is about, and so where a reply to it lands: the deal's
/// conversation, or a private conversation between the learner and the channel team about
/// one learning module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyTopic {
    Deal(i64),
    Module(i64),
}

impl ReplyTopic {
    /// From the two columns an email or an inbound message keeps (a deal wins; never both).
    pub fn from_columns(deal_id: Option<i64>, path_id: Option<i64>) -> Option<Self> {
        match (deal_id, path_id) {
            (Some(deal), _) => Some(ReplyTopic::Deal(deal)),
            (None, Some(path)) => Some(ReplyTopic::Module(path)),
            (None, None) => None,
        }
    }

    pub fn deal_id(self) -> Option<i64> {
        match self {
            ReplyTopic::Deal(id) => Some(id),
            ReplyTopic::Module(_) => None,
        }
    }

    pub fn path_id(self) -> Option<i64> {
        match self {
            ReplyTopic::Module(id) => Some(id),
            ReplyTopic::Deal(_) => None,
        }
    }

    /// Where a person reads the conversation (relative to the portal's base URL).
    pub fn place(self) -> String {
        match self {
            ReplyTopic::Deal(id) => format!("/deals/{id}#conversation"),
            ReplyTopic::Module(id) => format!("/learn/{id}#questions"),
        }
    }
}

/// The reply address of a notification.
pub fn reply_address(key: &str, domain: &str) -> String {
    format!("{LOCAL_PREFIX}{key}@{domain}")
}

/// The key in a recipient address, if it is one of ours: `reply+<key>@<domain>`, compared
/// without regard to case, with optional angle brackets. Anything else is `None`.
pub fn key_of_address(address: &str, domain: &str) -> Option<String> {
    let address = address.trim();
    let address = address
        .strip_prefix('<')
        .and_then(|a| a.strip_suffix('>'))
        .unwrap_or(address);
    let (local, host) = address.rsplit_once('@')?;
    if !host.eq_ignore_ascii_case(domain) || local.len() != LOCAL_PREFIX.len() + KEY_CHARS {
        return None;
    }
    let (prefix, key) = local.split_at_checked(LOCAL_PREFIX.len())?;
    if !prefix.eq_ignore_ascii_case(LOCAL_PREFIX) {
        return None;
    }
    let key = key.to_ascii_lowercase();
    key.bytes().all(|b| ALPHABET.contains(&b)).then_some(key)
}

/// A Message-ID without its angle brackets and surrounding space, for comparing.
pub fn bare_message_id(id: &str) -> &str {
    let id = id.trim();
    id.strip_prefix('<')
        .and_then(|i| i.strip_suffix('>'))
        .unwrap_or(id)
        .trim()
}

/// The subject of an answer in the same thread.
pub fn reply_subject(subject: &str) -> String {
    let subject = subject.trim();
    let already = subject
        .get(..3)
        .is_some_and(|start| start.eq_ignore_ascii_case("re:"));
    if already {
        subject.to_string()
    } else {
        format!("Re: {subject}")
    }
}

/// Whether a message was sent by a machine (RFC 3834 `Auto-Submitted`, `Precedence`, the
/// common autoresponder headers) rather than typed by a person: such mail is kept but never
/// treated as a reply, and never answered.
pub fn is_automatic(header: impl Fn(&str) -> Option<String>) -> bool {
    let value = |name: &str| header(name).map(|v| v.trim().to_ascii_lowercase());
    if value("Auto-Submitted").is_some_and(|v| !v.is_empty() && v != "no") {
        return true;
    }
    if value("Precedence")
        .is_some_and(|v| matches!(v.as_str(), "bulk" | "list" | "junk" | "auto_reply"))
    {
        return true;
    }
    ["X-Autoreply", "X-Autorespond", "X-Auto-Reply"]
        .iter()
        .any(|name| header(name).is_some())
}

/// What the portal does with an inbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The partner's reply on the notification's deal.
    Accepted,
    /// Kept for an admin to look at, with why: the key is right but something else is not.
    Held(&'static str),
    /// Kept but not a reply (automatic, empty).
    Ignored(&'static str),
}

impl Verdict {
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Accepted => "accepted",
            Verdict::Held(_) => "held",
            Verdict::Ignored(_) => "ignored",
        }
    }

    pub fn reason(&self) -> &'static str {
        match self {
            Verdict::Accepted => "",
            Verdict::Held(reason) | Verdict::Ignored(reason) => reason,
        }
    }
}

/// What is known about an inbound message once its notification has been looked up.
pub struct Facts<'a> {
    /// The address the notification went to, if one was found (by key or thread).
    pub notified: Option<&'a str>,
    /// The message's `From` address.
    pub sender: &'a str,
    pub automatic: bool,
    /// The reply once quotes are cut.
    pub reply: &'a str,
}

/// The verdict on an inbound message. A sender other than the person notified is held, not
/// refused: forwarding to a colleague is legitimate, but only an admin may let it through.
pub fn judge(facts: &Facts) -> Verdict {
    if facts.automatic {
        return Verdict::Ignored("Sent automatically (an out-of-office or list message).");
    }
    let Some(notified) = facts.notified else {
        return Verdict::Held("It answers no notification the portal sent.");
    };
    if !same_address(notified, facts.sender) {
        return Verdict::Held("The sender is not the person the notification went to.");
    }
    if facts.reply.trim().is_empty() {
        return Verdict::Ignored("The reply has no text above the quoted notification.");
    }
    Verdict::Accepted
}

/// Whether two addresses are the same mailbox (domains and, in practice, local parts are
/// compared without regard to case).
pub fn same_address(a: &str, b: &str) -> bool {
    let a = a.trim();
    let b = b.trim();
    !a.is_empty() && a.eq_ignore_ascii_case(b)
}

/// The partner's own words in a reply: quoted notification, quote headers and signature cut.
pub fn strip_reply(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = text.lines().collect();
    let cut = (0..lines.len())
        .find(|&i| is_marker(lines[i]) || quote_header_at(&lines, i).is_some())
        .unwrap_or(lines.len());
    let mut kept: Vec<&str> = lines[..cut].to_vec();
    if kept
        .iter()
        .all(|line| line.trim().is_empty() || is_quoted(line))
        && cut < lines.len()
    {
        // Nothing above the quote: the answer is below it (bottom posting). Keep what
        // follows, less the header and the quoted lines.
        let skip = quote_header_at(&lines, cut).unwrap_or(1);
        kept = lines[cut + skip..]
            .iter()
            .copied()
            .filter(|line| !is_quoted(line) && !is_marker(line))
            .collect();
    }
    drop_trailing(&mut kept);
    if let Some(start) = signature_start(&kept) {
        kept.truncate(start);
        drop_trailing(&mut kept);
    }
    while kept.first().is_some_and(|line| line.trim().is_empty()) {
        kept.remove(0);
    }
    let reply = kept.join("\n");
    let reply = reply.trim_end();
    match reply.char_indices().nth(MAX_REPLY_CHARS) {
        Some((end, _)) => format!("{}…", &reply[..end]),
        None => reply.to_string(),
    }
}

fn is_quoted(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

fn is_marker(line: &str) -> bool {
    let line = line.trim_start_matches(|c: char| c == '>' || c.is_whitespace());
    line.contains(REPLY_MARKER) || line.contains("Reply above this line")
}

/// Drops blank and quoted lines from the bottom.
fn drop_trailing(lines: &mut Vec<&str>) {
    while lines
        .last()
        .is_some_and(|line| line.trim().is_empty() || is_quoted(line))
    {
        lines.pop();
    }
}

/// Where a signature starts: the last delimiter line (`-- `, `--`, `__`) or a "sent from my
/// phone" line, when there is text above it and it is short (a signature, not a reply).
fn signature_start(lines: &[&str]) -> Option<usize> {
    let start = lines.iter().rposition(|line| {
        let trimmed = line.trim_end();
        trimmed == "--" || trimmed == "__" || trimmed == "—" || is_phone_signature(trimmed)
    })?;
    let has_text_above = lines[..start].iter().any(|line| !line.trim().is_empty());
    (has_text_above && lines.len() - start <= 12).then_some(start)
}

/// What phones and mobile apps add below a message, in the languages the quote headers
/// cover.
fn is_phone_signature(line: &str) -> bool {
    const STARTS: [&str; 9] = [
        "Sent from my ",
        "Sent from Outlook",
        "Get Outlook for ",
        "Envoyé de mon ",
        "Von meinem ",
        "Gesendet von meinem ",
        "Enviado desde mi ",
        "Inviato da ",
        "Verzonden vanaf mijn ",
    ];
    let line = line.trim();
    line.len() <= 80 && STARTS.iter().any(|start| line.starts_with(start))
}

/// If a mail client's quote header starts at line `at`, how many lines it spans. Headers
/// may be wrapped over up to three lines ("On Mon, … Partner Portal <\nnoreply@…> wrote:").
fn quote_header_at(lines: &[&str], at: usize) -> Option<usize> {
    let first = lines.get(at)?.trim();
    if first.is_empty() || is_quoted(first) {
        return None;
    }
    if is_original_message_rule(first) {
        return Some(1);
    }
    if first.len() >= 10 && first.chars().all(|c| c == '_') {
        // Outlook's rule above its header block.
        let next = lines[at + 1..].iter().position(|l| !l.trim().is_empty())?;
        return outlook_block_at(lines, at + 1 + next).map(|span| span + next + 1);
    }
    if let Some(span) = outlook_block_at(lines, at) {
        return Some(span);
    }
    let mut joined = first.to_string();
    for extra in 0..3 {
        if joined.len() > 300 {
            return None;
        }
        if is_wrote_line(&joined) {
            return Some(extra + 1);
        }
        let next = lines.get(at + extra + 1)?.trim();
        if next.is_empty() || is_quoted(next) {
            return None;
        }
        joined.push(' ');
        joined.push_str(next);
    }
    None
}

fn is_original_message_rule(line: &str) -> bool {
    let inner = line.trim_matches(|c: char| c == '-' || c.is_whitespace());
    line.starts_with("-----")
        && matches!(
            inner,
            "Original Message"
                | "Ursprüngliche Nachricht"
                | "Message d'origine"
                | "Mensaje original"
                | "Messaggio originale"
                | "Oorspronkelijk bericht"
                | "Mensagem original"
        )
}

/// "On … wrote:" and its translations.
fn is_wrote_line(line: &str) -> bool {
    const FORMS: [(&str, &str); 9] = [
        ("On ", " wrote:"),
        ("Le ", " a écrit :"),
        ("Le ", " a écrit:"),
        ("El ", " escribió:"),
        ("Il ", " ha scritto:"),
        ("Em ", " escreveu:"),
        ("Am ", ":"),
        ("Op ", ":"),
        ("On ", " writes:"),
    ];
    FORMS.iter().any(|(start, end)| {
        line.starts_with(start)
            && line.ends_with(end)
            && match *start {
                // German and Dutch put the name after the verb: "Am … schrieb Nora <…>:".
                "Am " => line.contains(" schrieb "),
                "Op " => line.contains(" schreef "),
                _ => true,
            }
    })
}

/// Outlook's header block: a "From:" line followed within four lines by a date line and a
/// subject line (in English, German, French, Spanish, Italian, Dutch or Portuguese). Returns
/// the lines up to the subject.
fn outlook_block_at(lines: &[&str], at: usize) -> Option<usize> {
    const FROM: [&str; 7] = ["From:", "Von:", "De :", "De:", "Da:", "Van:", "*From:*"];
    const SENT: [&str; 9] = [
        "Sent:",
        "Date:",
        "Gesendet:",
        "Datum:",
        "Envoyé :",
        "Envoyé:",
        "Enviado:",
        "Inviato:",
        "Verzonden:",
    ];
    const SUBJECT: [&str; 8] = [
        "Subject:",
        "Betreff:",
        "Objet :",
        "Objet:",
        "Asunto:",
        "Oggetto:",
        "Onderwerp:",
        "Assunto:",
    ];
    let starts = |line: &str, forms: &[&str]| {
        let line = line.trim().trim_start_matches('*');
        forms
            .iter()
            .any(|form| line.starts_with(form.trim_start_matches('*')))
    };
    if !starts(lines.get(at)?, &FROM) {
        return None;
    }
    let window = &lines[at + 1..lines.len().min(at + 6)];
    let sent = window.iter().position(|line| starts(line, &SENT))?;
    let subject = window.iter().position(|line| starts(line, &SUBJECT))?;
    Some(sent.max(subject) + 2)
}

/// What a CRM timeline entry of a partner's reply says.
pub struct TimelineEntry<'a> {
    pub person: &'a str,
    pub email: &'a str,
    pub organisation: &'a str,
    pub regarding: Regarding<'a>,
    /// The subject of the notification answered.
    pub subject: &'a str,
    /// The deal, or the module, in the portal.
    pub link: &'a str,
    pub text: &'a str,
    pub at_ms: i64,
}

/// What a reply on the CRM timeline is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Regarding<'a> {
    /// A deal, named by its customer.
    Deal { customer: &'a str },
    /// A learning module, named by its title.
    Module { title: &'a str },
}

/// HubSpot caps a note body at 65,536 characters; Salesforce a Task description at 32,000.
const HUBSPOT_NOTE_CHARS: usize = 60_000;
const SALESFORCE_DESCRIPTION_CHARS: usize = 32_000;

fn bounded(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

/// The first line of an entry: who replied to what, and where the deal is.
fn headline(entry: &TimelineEntry) -> String {
    let organisation = if entry.organisation.is_empty() {
        String::new()
    } else {
        format!(", {}", entry.organisation)
    };
    let kind = match entry.regarding {
        Regarding::Deal { .. } => "Partner reply",
        Regarding::Module { .. } => "Learner reply",
    };
    format!(
        "{kind} from {} <{}>{organisation} to “{}”",
        entry.person, entry.email, entry.subject
    )
}

/// The words of the link back to the portal.
fn link_text(entry: &TimelineEntry) -> &'static str {
    match entry.regarding {
        Regarding::Deal { .. } => "Open the deal in the portal",
        Regarding::Module { .. } => "Open the conversation in the portal",
    }
}

/// A HubSpot note's properties: the body is HTML, every text in it escaped.
pub fn hubspot_note(entry: &TimelineEntry) -> serde_json::Value {
    use crate::domain::html::escape_html_text as escape;
    let paragraphs: String = entry
        .text
        .split("\n\n")
        .map(|paragraph| format!("<p>{}</p>", escape(paragraph).replace('\n', "<br>")))
        .collect();
    let body = format!(
        "<p><b>{}</b> · <a href=\"{}\">{}</a></p>{paragraphs}",
        escape(&headline(entry)),
        escape(entry.link),
        link_text(entry)
    );
    serde_json::json!({
        "hs_timestamp": entry.at_ms.to_string(),
        "hs_note_body": bounded(&body, HUBSPOT_NOTE_CHARS),
    })
}

fn task_subject(entry: &TimelineEntry) -> String {
    match entry.regarding {
        Regarding::Deal { customer } => format!("Partner reply: {customer} ({})", entry.person),
        Regarding::Module { title } => format!("Training question: {title} ({})", entry.person),
    }
}

/// A completed Salesforce Task of subtype Email. `who` is a Lead or Contact id, `what` an
/// Opportunity id.
pub fn salesforce_task(
    entry: &TimelineEntry,
    who: Option<&str>,
    what: Option<&str>,
) -> serde_json::Value {
    let date = chrono::DateTime::from_timestamp_millis(entry.at_ms)
        .map(|at| at.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let description = format!("{} · {}\n\n{}", headline(entry), entry.link, entry.text);
    let mut task = serde_json::json!({
        "Subject": bounded(&task_subject(entry), 255),
        "Description": bounded(&description, SALESFORCE_DESCRIPTION_CHARS),
        "Status": "Completed",
        "ActivityDate": date,
        "TaskSubtype": "Email",
    });
    if let Some(who) = who {
        task["WhoId"] = who.into();
    }
    if let Some(what) = what {
        task["WhatId"] = what.into();
    }
    task
}

/// The email that tells the person the portal wrote to that a reply to it came from another
/// address and is held: they know whether it was them (another address of theirs, a
/// colleague they forwarded it to) or someone else. Sent to the person emailed, never to
/// the sender (that would be backscatter to a forger), and without the reply's words.
pub fn held_reply_notice(
    original_subject: &str,
    sender: &str,
    topic: ReplyTopic,
    url: &str,
) -> (String, String) {
    let clip = |text: &str, chars: usize| -> String {
        let flat: String = text.chars().filter(|c| !c.is_control()).collect();
        flat.chars().take(chars).collect()
    };
    let subject = clip(original_subject, 150);
    let sender = clip(sender, 320);
    let (kept_from, place) = match topic {
        ReplyTopic::Deal(_) => (
            "it is not on the deal and not sent to the CRM",
            "The deal and its conversation",
        ),
        ReplyTopic::Module(_) => (
            "the channel team does not see it as yours, and it is not sent to the CRM,",
            "The module and your conversation about it",
        ),
    };
    (
        format!("A reply to \"{subject}\" is held for review"),
        format!(
            "The portal emailed you \"{subject}\". A reply to it came from {sender}, not from your address, so it is held: {kept_from} until the channel team lets it through.\n\n\
             If that was you from another address, or a colleague you forwarded the email to, there is nothing to do. If you do not know the sender, tell your channel manager.\n\n\
             {place}: {url}"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(text: &'a str) -> TimelineEntry<'a> {
        TimelineEntry {
            person: "Nora <b>Lind</b>",
            email: "nora@northwind.example",
            organisation: "Northwind & Co",
            regarding: Regarding::Deal { customer: "Acme" },
            subject: "Registration approved: Acme",
            link: "https://portal.example/deals/12?a=1&b=2",
            text,
            at_ms: 1_796_000_000_000,
        }
    }

    #[test]
    fn hubspot_notes_escape_every_text() {
        let note = hubspot_note(&entry("Yes <script>alert(1)</script>\nsecond line\n\nnext"));
        let body = note["hs_note_body"].as_str().unwrap();
        assert!(!body.contains("<script>"));
        assert!(body.contains("&lt;script&gt;"));
        assert!(body.contains("Nora &lt;b&gt;Lind&lt;/b&gt;"));
        assert!(body.contains("Northwind &amp; Co"));
        assert!(body.contains("href=\"https://portal.example/deals/12?a=1&amp;b=2\""));
        assert!(body.contains("second line<br>") || body.contains("<br>second line"));
        assert!(body.ends_with("<p>next</p>"));
        assert_eq!(note["hs_timestamp"], "1796000000000");
    }

    #[test]
    fn salesforce_tasks_are_completed_email_tasks_on_the_right_records() {
        let task = salesforce_task(&entry("Signed today."), Some("00Q1"), None);
        assert_eq!(task["Status"], "Completed");
        assert_eq!(task["TaskSubtype"], "Email");
        assert_eq!(task["WhoId"], "00Q1");
        assert!(task.get("WhatId").is_none());
        assert_eq!(task["ActivityDate"], "2026-11-30");
        assert!(task["Subject"]
            .as_str()
            .unwrap()
            .starts_with("Partner reply: Acme"));
        assert!(task["Description"]
            .as_str()
            .unwrap()
            .ends_with("Signed today."));
        let task = salesforce_task(&entry(&"x".repeat(40_000)), Some("003"), Some("006"));
        assert_eq!(task["WhatId"], "006");
        assert_eq!(
            task["Description"].as_str().unwrap().chars().count(),
            SALESFORCE_DESCRIPTION_CHARS
        );
    }

    #[test]
    fn keys_are_lowercase_base32_of_the_full_length() {
        let key = encode_key(&[0xff; KEY_BYTES]);
        assert_eq!(key, "7".repeat(KEY_CHARS));
        let key = encode_key(&[0; KEY_BYTES]);
        assert_eq!(key, "a".repeat(KEY_CHARS));
        // RFC 4648's test vector "foobar" → MZXW6YTBOI (lowercased), within a longer key.
        let mut bytes = [0u8; KEY_BYTES];
        bytes[..5].copy_from_slice(b"fooba");
        assert!(encode_key(&bytes).starts_with("mzxw6ytb"));
    }

    #[test]
    fn only_our_addresses_with_a_well_formed_key_are_read() {
        let key = encode_key(&[7; KEY_BYTES]);
        let address = reply_address(&key, "reply.example.com");
        assert_eq!(
            key_of_address(&address, "reply.example.com"),
            Some(key.clone())
        );
        assert_eq!(
            key_of_address(
                &format!("<{}>", address.to_uppercase()),
                "Reply.Example.com"
            ),
            Some(key.clone())
        );
        assert_eq!(key_of_address(&address, "other.example.com"), None);
        assert_eq!(
            key_of_address("reply+short@reply.example.com", "reply.example.com"),
            None
        );
        let wrong_letter = format!("reply+{}1@reply.example.com", &key[..KEY_CHARS - 1]);
        assert_eq!(key_of_address(&wrong_letter, "reply.example.com"), None);
        let no_prefix = format!("replx+{key}@reply.example.com");
        assert_eq!(key_of_address(&no_prefix, "reply.example.com"), None);
        assert_eq!(key_of_address("", "reply.example.com"), None);
        assert_eq!(
            key_of_address("nora@northwind.example", "reply.example.com"),
            None
        );
    }

    #[test]
    fn message_ids_compare_without_brackets_and_subjects_get_one_re() {
        assert_eq!(bare_message_id(" <abc@portal.test> "), "abc@portal.test");
        assert_eq!(bare_message_id("abc@portal.test"), "abc@portal.test");
        assert_eq!(reply_subject("Deal approved"), "Re: Deal approved");
        assert_eq!(reply_subject("RE: Deal approved"), "RE: Deal approved");
        assert_eq!(reply_subject("Ré"), "Re: Ré");
    }

    fn headers<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn machines_are_recognised_by_their_headers() {
        assert!(is_automatic(headers(&[("Auto-Submitted", "auto-replied")])));
        assert!(!is_automatic(headers(&[("Auto-Submitted", "no")])));
        assert!(is_automatic(headers(&[("Precedence", "Bulk")])));
        assert!(!is_automatic(headers(&[("Precedence", "first-class")])));
        assert!(is_automatic(headers(&[("X-Autoreply", "yes")])));
        assert!(!is_automatic(headers(&[("Subject", "Out of office")])));
    }

    #[test]
    fn verdicts() {
        let facts = |notified, sender, automatic, reply| Facts {
            notified,
            sender,
            automatic,
            reply,
        };
        let nora = Some("nora@northwind.example");
        assert_eq!(
            judge(&facts(nora, "Nora@Northwind.example", false, "Yes")),
            Verdict::Accepted
        );
        assert!(matches!(
            judge(&facts(nora, "eve@evil.example", false, "Yes")),
            Verdict::Held(_)
        ));
        assert!(matches!(
            judge(&facts(None, "nora@northwind.example", false, "Yes")),
            Verdict::Held(_)
        ));
        assert!(matches!(
            judge(&facts(nora, "nora@northwind.example", true, "Yes")),
            Verdict::Ignored(_)
        ));
        assert!(matches!(
            judge(&facts(nora, "nora@northwind.example", false, "  ")),
            Verdict::Ignored(_)
        ));
        assert_eq!(Verdict::Held("x").as_str(), "held");
        assert_eq!(Verdict::Ignored("why").reason(), "why");
        assert!(!same_address("", ""));
    }

    const NOTIFICATION: &str = "> — Reply above this line —\n>\n> Hello Nora,\n>\n> Your registration of Acme was approved.\n";

    #[test]
    fn gmail_reply_with_a_wrapped_header() {
        let text = format!(
            "Sounds good, we'll book the demo for Tuesday.\n\nOn Mon, 30 Nov 2026 at 09:00, Partner Portal <\nreply+abc@reply.test> wrote:\n\n{NOTIFICATION}"
        );
        assert_eq!(
            strip_reply(&text),
            "Sounds good, we'll book the demo for Tuesday."
        );
    }

    #[test]
    fn outlook_reply_with_its_header_block_and_crlf() {
        let text = "Thanks Sam,\r\n\r\nthe customer signed today.\r\n\r\nNora Lind\r\nNorthwind\r\n\r\n________________________________\r\nFrom: Partner Portal <reply+abc@reply.test>\r\nSent: Monday, November 30, 2026 9:00 AM\r\nTo: Nora Lind <nora@northwind.example>\r\nSubject: Registration approved: Acme\r\n\r\n— Reply above this line —\r\nHello Nora,\r\n";
        assert_eq!(
            strip_reply(text),
            "Thanks Sam,\n\nthe customer signed today.\n\nNora Lind\nNorthwind"
        );
    }

    #[test]
    fn iphone_reply_drops_its_signature() {
        let text = format!(
            "Yes, please extend.\n\nSent from my iPhone\n\nOn 30 Nov 2026, at 09:00, Partner Portal <reply+abc@reply.test> wrote:\n\n{NOTIFICATION}"
        );
        assert_eq!(strip_reply(&text), "Yes, please extend.");
    }

    #[test]
    fn french_and_german_quote_headers() {
        let french = format!(
            "Merci, c'est noté.\n\nLe lun. 30 nov. 2026 à 09:00, Partner Portal <reply+abc@reply.test> a écrit :\n{NOTIFICATION}"
        );
        assert_eq!(strip_reply(&french), "Merci, c'est noté.");
        let german = format!(
            "Danke, wir melden uns.\n\nAm 30.11.2026 um 09:00 schrieb Partner Portal <reply+abc@reply.test>:\n{NOTIFICATION}"
        );
        assert_eq!(strip_reply(&german), "Danke, wir melden uns.");
        let outlook_german = "Passt.\n\nVon: Partner Portal <reply+abc@reply.test>\nGesendet: Montag, 30. November 2026 09:00\nAn: Nora\nBetreff: Registrierung\n\nHallo";
        assert_eq!(strip_reply(outlook_german), "Passt.");
        let original = "Ok\n\n-----Ursprüngliche Nachricht-----\nVon: Portal\n";
        assert_eq!(strip_reply(original), "Ok");
    }

    #[test]
    fn our_marker_cuts_even_without_a_quote_header() {
        let text = "Approved on our side too.\n\n— Reply above this line —\nHello Nora,\nYour registration…";
        assert_eq!(strip_reply(text), "Approved on our side too.");
    }

    #[test]
    fn signatures_after_a_delimiter_are_dropped_but_not_text_above() {
        let text = "Call me tomorrow.\n-- \nNora Lind\nChannel lead, Northwind\n+44 20 0000 0000";
        assert_eq!(strip_reply(text), "Call me tomorrow.");
        // A message that is only a delimiter and text below keeps that text.
        assert_eq!(strip_reply("--\nNora"), "--\nNora");
    }

    #[test]
    fn bottom_posted_answers_keep_their_inline_quotes() {
        let text = "> Can you confirm the amount?\n\nIt is 40,000 EUR.\n\n> And the close date?\n\nEnd of January.\n\n> older quoted text\n";
        assert_eq!(
            strip_reply(text),
            "> Can you confirm the amount?\n\nIt is 40,000 EUR.\n\n> And the close date?\n\nEnd of January."
        );
    }

    #[test]
    fn an_answer_entirely_below_the_quote_is_found() {
        let text = format!(
            "On Mon, 30 Nov 2026 at 09:00, Partner Portal <reply+abc@reply.test> wrote:\n{NOTIFICATION}\nBelow the quote: yes, go ahead."
        );
        assert_eq!(strip_reply(&text), "Below the quote: yes, go ahead.");
    }

    #[test]
    fn sentences_that_merely_start_like_headers_are_kept() {
        let text = "On Tuesday we meet the customer.\nAm Montag auch.\nThanks";
        assert_eq!(strip_reply(text), text);
    }

    #[test]
    fn empty_and_quote_only_messages_are_empty() {
        assert_eq!(strip_reply(""), "");
        assert_eq!(strip_reply("\n\n> quoted\n> more\n"), "");
        assert_eq!(strip_reply(NOTIFICATION), "");
    }

    #[test]
    fn long_replies_are_bounded() {
        let text = "é".repeat(MAX_REPLY_CHARS + 50);
        let reply = strip_reply(&text);
        assert_eq!(reply.chars().count(), MAX_REPLY_CHARS + 1);
        assert!(reply.ends_with('…'));
    }

    #[test]
    fn the_held_reply_notice_names_the_sender_but_not_the_words_and_stays_on_one_line() {
        let (subject, body) = held_reply_notice(
            "Registration approved: Contoso\r\nBcc: x@evil.example",
            "eve@elsewhere.example",
            ReplyTopic::Deal(7),
            "https://portal.example/deals/7",
        );
        assert_eq!(
            subject,
            "A reply to \"Registration approved: ContosoBcc: x@evil.example\" is held for review"
        );
        assert!(!subject.contains('\n') && !subject.contains('\r'));
        assert!(body.contains("from eve@elsewhere.example, not from your address"));
        assert!(body.ends_with("https://portal.example/deals/7"));
        let long = "x".repeat(1_000);
        assert!(
            held_reply_notice(&long, &long, ReplyTopic::Deal(1), "u")
                .0
                .len()
                < 200
        );
        let (_, body) = held_reply_notice(
            "Overdue: Selling the platform",
            "eve@elsewhere.example",
            ReplyTopic::Module(3),
            "https://portal.example/learn/3#questions",
        );
        assert!(!body.contains("deal"));
        assert!(
            body.ends_with("your conversation about it: https://portal.example/learn/3#questions")
        );
    }

    #[test]
    fn a_topic_lands_where_its_columns_say() {
        assert_eq!(
            ReplyTopic::from_columns(Some(4), None),
            Some(ReplyTopic::Deal(4))
        );
        assert_eq!(
            ReplyTopic::from_columns(None, Some(9)),
            Some(ReplyTopic::Module(9))
        );
        assert_eq!(
            ReplyTopic::from_columns(Some(4), Some(9)),
            Some(ReplyTopic::Deal(4))
        );
        assert_eq!(ReplyTopic::from_columns(None, None), None);
        assert_eq!(ReplyTopic::Deal(4).place(), "/deals/4#conversation");
        assert_eq!(ReplyTopic::Module(9).place(), "/learn/9#questions");
        assert_eq!(ReplyTopic::Module(9).deal_id(), None);
        assert_eq!(ReplyTopic::Module(9).path_id(), Some(9));
        assert_eq!(ReplyTopic::Deal(4).deal_id(), Some(4));
    }

    #[test]
    fn a_learner_reply_names_its_module_in_both_crms() {
        let mut module = entry("Where is the lab guide?");
        module.link = "https://portal.example/learner-questions/3/8";
        module.regarding = Regarding::Module {
            title: "Selling <the> platform",
        };
        let task = salesforce_task(&module, Some("003C1"), None);
        assert_eq!(
            task["Subject"],
            "Training question: Selling <the> platform (Nora <b>Lind</b>)"
        );
        assert!(task.get("WhatId").is_none());
        let note = hubspot_note(&module);
        let body = note["hs_note_body"].as_str().unwrap();
        assert!(body.contains("Learner reply from"));
        assert!(body.contains(">Open the conversation in the portal</a>"));
        assert!(!body.contains("deal"));
    }
}
