//! The ceiling: pgbench runs the SQL each scenario runs, statement for
//! statement (the session lookup included), with no application in between,
//! on the same database. Each script first reads its random target from a
//! helper table by primary key (one statement the app does not run: its
//! clients already know the ids). Where pgbench cannot follow the app's
//! branches exactly, the script says so next to the statement.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use tokio::process::Command;

use crate::fixture::{FIND_WORDS, SURNAMES};
use crate::load::{Sample, Scenario};

pub struct Script {
    pub scenario: Scenario,
    pub name: &'static str,
    pub file: PathBuf,
}

const SESSION: &str = "SELECT s.company_id, s.user_id FROM sessions s \
  JOIN users u ON u.company_id = s.company_id AND u.id = s.user_id AND u.is_active \
 WHERE s.token_hash = :session AND s.expires_at > now();\n";

const CHANNEL_COLUMNS: &str = "id, company_id, provider, name, phone_number, external_id, \
credentials::text AS credentials, verify_token, app_secret, is_default";

const MESSAGE_COLUMNS: &str = "id, conversation_id, contact_id, direction, status, content, media_url, \
media_type, provider_message_id, error_code, error_message, created_by, created_at, updated_at";

const CONTACT_COLUMNS: &str = "company_id, phone, name, avatar, is_group, presence";

const PICK_COMPANY: &str = "\\set n random(1, 10)\n\
SELECT company_id AS company, user_id AS actor, channel_id AS channel, session_hash AS session \
  FROM bench_company WHERE n = :n \\gset\n";

/// A send's first transaction: the session, the channel, then (after the
/// client-key lookup the app ran before issue 8, when `key_lookup`) the
/// contact, the conversation with its last message, and the message.
fn send_stored(key_lookup: bool) -> String {
    let lookup = if key_lookup {
        "SELECT id FROM messages WHERE company_id = :company AND client_key = 'pgbench-' || CAST(:id AS text);\n"
    } else {
        ""
    };
    format!(
        "{PICK_COMPANY}\\set k random(1, 10000)\n\\set fresh random(0, 1)\n\\set p random(2000000, 9999999)\n\
\\set id random(1, 9000000000000000000)\n\
{SESSION}\
SELECT {CHANNEL_COLUMNS} FROM channels WHERE company_id = :company AND is_active ORDER BY is_default DESC, created_at LIMIT 1;\n\
BEGIN;\n\
{lookup}{CONTACT}{CONVERSATION}{MESSAGE}\
COMMIT;\n",
        CONTACT = contact(),
        CONVERSATION = CONVERSATION_UPSERT,
        MESSAGE = message_insert(),
    )
}

/// The send as the app ran it before issue 8: the channel read, then one
/// transaction (client key check, contact, conversation with its last
/// message, message), then a second one recording `sent`.
fn send_naive() -> String {
    format!(
        "{}\
BEGIN;\n\
SELECT pg_advisory_xact_lock(hashtextextended(CAST(:company AS text) || ':' || 'wamid.pgbench.' || CAST(:id AS text), 7));\n\
UPDATE messages SET status = 'sent', provider_message_id = COALESCE(provider_message_id, 'wamid.pgbench.' || CAST(:id AS text)), \
provider_status = COALESCE(NULL, provider_status), error_code = CASE WHEN 'sent' = 'failed' THEN NULL END, \
error_message = CASE WHEN 'sent' = 'failed' THEN NULL END, updated_at = now() \
WHERE company_id = :company AND id = md5(CAST(:id AS text))::uuid AND status = ANY('{{sending}}');\n\
DELETE FROM pending_statuses WHERE company_id = :company AND provider_message_id = 'wamid.pgbench.' || CAST(:id AS text) \
RETURNING status, error_code, error_message;\n\
SELECT {MESSAGE_COLUMNS} FROM messages WHERE company_id = :company AND id = md5(CAST(:id AS text))::uuid;\n\
COMMIT;\n",
        send_stored(true)
    )
}

/// The send as the app runs it now, one send at a time: no client-key
/// lookup, and the `sent` transaction is the locks and one statement. (The
/// app also groups the `sent` transactions of concurrent sends into one,
/// which pgbench's one-session-per-client scripts cannot do.)
fn send_ours() -> String {
    format!(
        "{}\
BEGIN;\n\
SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtextextended(c::text || ':' || p, 7) AS k \
FROM unnest(ARRAY[CAST(:company AS uuid)], ARRAY['wamid.pgbench.' || CAST(:id AS text)]) AS t(c, p) ORDER BY 1) locks;\n\
WITH t AS (SELECT * FROM unnest(ARRAY[CAST(:company AS uuid)], ARRAY[md5(CAST(:id AS text))::uuid], \
ARRAY['wamid.pgbench.' || CAST(:id AS text)]) AS t(c, id, p)), \
sent AS (UPDATE messages m SET status = 'sent', provider_message_id = COALESCE(m.provider_message_id, t.p), updated_at = now() \
FROM t WHERE m.company_id = t.c AND m.id = t.id AND (m.status = 'sending') IS TRUE RETURNING m.id), \
early AS (DELETE FROM pending_statuses ps USING t WHERE ps.company_id = t.c AND ps.provider_message_id = t.p \
RETURNING t.id, ps.status, ps.error_code, ps.error_message) \
SELECT true AS sent, id AS message_id, NULL AS status, NULL AS error_code, NULL AS error_message FROM sent \
UNION ALL SELECT false, id, status, error_code, error_message FROM early;\n\
COMMIT;\n",
        send_stored(false)
    )
}

/// A new number (+1 650, not the app's +1 628) is looked up, then inserted;
/// a known one (a seeded contact) is found. pgbench cannot branch on an
/// empty RETURNING, so a random new number that exists already updates
/// nothing instead of being read again (rare: 10,000 draws from 8 million).
fn contact() -> String {
    format!(
        "\\if :fresh\n\
SELECT id, {CONTACT_COLUMNS} FROM contacts WHERE company_id = :company AND (bsuid = NULL \
OR wa_key = '1650' || CAST(:p AS text) OR phone = '+1650' || CAST(:p AS text)) LIMIT 1;\n\
INSERT INTO contacts (id, company_id, phone, wa_key, name, created_by, updated_by) \
VALUES (gen_random_uuid(), :company, '+1650' || CAST(:p AS text), '1650' || CAST(:p AS text), NULL, :actor, :actor) \
ON CONFLICT (company_id, phone) DO UPDATE SET updated_at = contacts.updated_at RETURNING id AS contact, {CONTACT_COLUMNS} \\gset\n\
\\else\n\
SELECT id AS contact, {CONTACT_COLUMNS} FROM contacts WHERE company_id = :company \
AND (bsuid = NULL OR wa_key = '1415' || CAST(2000000 + :k AS text) OR phone = '+1415' || CAST(2000000 + :k AS text)) \
LIMIT 1 \\gset\n\
\\endif\n"
    )
}

const CONVERSATION_UPSERT: &str = "INSERT INTO conversations AS c (id, company_id, contact_id, last_message_id, \
last_message_preview, last_message_time, unread_count, created_by, updated_by) \
VALUES (gen_random_uuid(), :company, :contact, md5(CAST(:id AS text))::uuid, 'Bench message: your order is on its way', \
clock_timestamp(), 0, :actor, :actor) \
ON CONFLICT (company_id, contact_id) DO UPDATE SET is_active = true, \
created_at = CASE WHEN c.is_active THEN c.created_at ELSE now() END, \
unread_count = CASE WHEN c.is_active THEN c.unread_count ELSE 0 END + EXCLUDED.unread_count, \
is_favorite = c.is_favorite AND c.is_active, is_archived = c.is_archived AND c.is_active, \
assigned_to_user_id = CASE WHEN c.is_active THEN c.assigned_to_user_id END, \
last_message_id = CASE WHEN EXCLUDED.last_message_id IS NOT NULL THEN EXCLUDED.last_message_id WHEN c.is_active THEN c.last_message_id END, \
last_message_preview = CASE WHEN EXCLUDED.last_message_id IS NOT NULL THEN EXCLUDED.last_message_preview WHEN c.is_active THEN c.last_message_preview END, \
last_message_time = CASE WHEN EXCLUDED.last_message_id IS NOT NULL OR NOT c.is_active THEN clock_timestamp() ELSE c.last_message_time END, \
updated_at = now(), updated_by = COALESCE(EXCLUDED.updated_by, c.updated_by) \
RETURNING id AS conv, company_id, contact_id, last_message_id, last_message_preview, last_message_time AS t, \
unread_count, is_favorite, is_archived, assigned_to_user_id, is_active, created_at, updated_at, created_at = now() AS created \\gset\n";

fn message_insert() -> String {
    format!(
        "INSERT INTO messages (id, company_id, conversation_id, contact_id, channel_id, direction, status, content, \
media_type, media_url, provider_message_id, client_key, created_by, updated_by, created_at, attempts) \
VALUES (md5(CAST(:id AS text))::uuid, :company, :conv, :contact, :channel, 'outbound', 'sending', \
'Bench message: your order is on its way', NULL, NULL, NULL, 'pgbench-' || CAST(:id AS text), :actor, :actor, \
COALESCE(CAST(:t AS timestamptz), clock_timestamp()), 1) \
ON CONFLICT (company_id, provider_message_id) DO NOTHING RETURNING {MESSAGE_COLUMNS};\n"
    )
}

/// A Meta status callback as the app handles it: the callback stored
/// (deduplicated by its hash) and its status applied in one transaction;
/// only a status that moves nothing takes the provider id's lock, tries
/// again and looks the message up. The channels are remembered by the app,
/// so they are not read here. pgbench cannot stop at a repeated callback as
/// the app does, so a repeat is applied again (finding nothing to change):
/// the ceiling does a little more than the app there.
fn status() -> String {
    let advance = "UPDATE messages SET status = CASE WHEN :st = 1 THEN 'read' ELSE 'delivered' END, \
provider_status = CASE WHEN :st = 1 THEN 'read' ELSE 'delivered' END, \
error_code = CASE WHEN false THEN NULL END, error_message = CASE WHEN false THEN NULL END, updated_at = now() \
WHERE company_id = :company AND provider_message_id = :pid \
AND (status = ANY(CASE WHEN :st = 1 THEN '{sending,sent,delivered}'::text[] ELSE '{sending,sent}'::text[] END)) IS TRUE \
RETURNING 1 AS applied \\aset\n";
    format!(
        "\\set i random(1, 60000)\n\\set st random(0, 1)\n\\set e random(1, 9000000000000000000)\n\
SELECT b.company_id AS company, c.channel_id AS channel, b.provider_message_id AS pid \
  FROM bench_status b JOIN bench_company c ON c.n = b.n WHERE b.i = :i \\gset\n\
BEGIN;\n\
INSERT INTO webhook_events (id, company_id, channel_id, provider, payload_sha256, payload, signature_valid, processed_at) \
VALUES (md5(CAST(:e AS text))::uuid, :company, :channel, 'meta', sha256(convert_to(:pid || CAST(:st AS text), 'UTF8')), \
jsonb_build_object('object', 'whatsapp_business_account', 'entry', jsonb_build_array(jsonb_build_object('id', 'x', \
'changes', jsonb_build_array(jsonb_build_object('field', 'messages', 'value', jsonb_build_object(\
'messaging_product', 'whatsapp', 'metadata', jsonb_build_object('phone_number_id', 'bench1'), \
'statuses', jsonb_build_array(jsonb_build_object('id', CAST(:pid AS text), 'status', 'read', 'timestamp', '1764000001', \
'recipient_id', '14155550100')))))))), true, CASE WHEN true THEN now() END) \
ON CONFLICT (provider, payload_sha256) DO NOTHING RETURNING id;\n\
\\set applied 0\n\
{advance}\
\\if :applied = 0\n\
SELECT pg_advisory_xact_lock(hashtextextended(CAST(:company AS text) || ':' || :pid, 7));\n\
{advance}\
SELECT id FROM messages WHERE company_id = :company AND provider_message_id = :pid;\n\
\\endif\n\
COMMIT;\n"
    )
}

const ROW_COLUMNS: &str = "SELECT c.id, c.last_message_id, c.last_message_preview, c.last_message_time, \
c.unread_count, c.is_favorite, c.is_archived, c.assigned_to_user_id, c.created_at, c.updated_at, \
ct.id AS contact_id, ct.phone AS contact_phone, ct.name AS contact_name, ct.avatar AS contact_avatar, \
ct.is_group AS contact_is_group, ct.presence AS contact_presence, \
u.display_name AS assignee_name, u.email AS assignee_email, \
m.direction AS last_direction, m.status AS last_status FROM ";

const PAGE_OF: &str = "(SELECT * FROM conversations c WHERE c.company_id = :company AND c.is_active \
AND c.is_archived = :archived";

const ROW_DETAILS: &str = " ORDER BY c.last_message_time DESC, c.id DESC LIMIT :limit) c \
JOIN contacts ct ON ct.company_id = c.company_id AND ct.id = c.contact_id \
LEFT JOIN users u ON u.company_id = c.company_id AND u.id = c.assigned_to_user_id \
LEFT JOIN messages m ON m.id = c.last_message_id ORDER BY c.last_message_time DESC, c.id DESC;\n";

fn list() -> String {
    format!("{PICK_COMPANY}\\set archived 0\n\\set limit 51\n{SESSION}{ROW_COLUMNS}{PAGE_OF}{ROW_DETAILS}")
}

/// A surname or four digits of a phone number (the app then also matches
/// phones); both are long enough for the app to collect the matching
/// contacts first (a draw above 12 searches digits). The surname's pattern is bound as a parameter, as the app
/// binds it: one branch per surname, each pattern given to pgbench with
/// `-D pattern<i>=%Surname%` (pgbench draws numbers, not strings).
fn search() -> String {
    let mut script = format!(
        "{PICK_COMPANY}\\set archived 0\n\\set limit 51\n\\set s random(0, 25)\n\\set d random(2000, 2999)\n{SESSION}"
    );
    for i in 0..SURNAMES.len() {
        script.push_str(&format!(
            "\\{} :s = {i}\n{ROW_COLUMNS}{PAGE_OF} AND c.contact_id = ANY(ARRAY(SELECT s.id FROM contacts s \
WHERE s.company_id = :company AND (inbox_fold(s.name) LIKE inbox_fold(:pattern{i})))){ROW_DETAILS}",
            if i == 0 { "if" } else { "elif" }
        ));
    }
    script.push_str(&format!(
        "\\else\n{ROW_COLUMNS}{PAGE_OF} AND c.contact_id = ANY(ARRAY(SELECT s.id FROM contacts s \
WHERE s.company_id = :company AND (inbox_fold(s.name) LIKE inbox_fold('%' || CAST(:d AS text) || '%') \
OR s.phone LIKE '%' || CAST(:d AS text) || '%'))){ROW_DETAILS}\\endif\n"
    ));
    script
}

/// Message search as `searchMessages` runs it: the page of matching
/// messages by the full-text index, then names and ts_headline snippets
/// for the rows shown. The words go in as `-D` tsqueries, as the app binds them.
fn find() -> String {
    let mut script = format!("{PICK_COMPANY}\\set w random(0, {})\n{SESSION}", FIND_WORDS.len() - 1);
    for i in 0..FIND_WORDS.len() {
        script.push_str(&format!(
            "\\{} :w = {i}\n\
SELECT h.*, ts_headline('inbox_search', h.content, to_tsquery('inbox_search', :words{i}), \
'StartSel=<, StopSel=>, MaxWords=20, MinWords=8, ShortWord=0, MaxFragments=1') AS snippet, \
COALESCE(ct.name, ct.username, ct.phone, '') AS title, ct.is_group, c.is_archived FROM (\
SELECT {MESSAGE_COLUMNS} FROM messages WHERE company_id = :company AND is_active AND kind <> 'reaction' \
AND to_tsvector('inbox_search', content) @@ to_tsquery('inbox_search', :words{i}) \
ORDER BY created_at DESC, id DESC LIMIT 21) h \
JOIN conversations c ON c.id = h.conversation_id AND c.is_active JOIN contacts ct ON ct.id = c.contact_id \
ORDER BY h.created_at DESC, h.id DESC;\n",
            if i == 0 { "if" } else { "elif" }
        ));
    }
    script.push_str("\\endif\n");
    script
}

/// pgbench's `-D` definitions a script needs.
fn defines(scenario: Scenario) -> Vec<String> {
    match scenario {
        Scenario::Search => SURNAMES.iter().enumerate().map(|(i, s)| format!("pattern{i}=%{s}%")).collect(),
        Scenario::Find => FIND_WORDS
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let words = inbox_types::search::SearchWords::parse(w).expect("a valid search");
                format!("words{i}={}", words.to_tsquery())
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn page() -> String {
    format!(
        "\\set limit 51\n\
SELECT company_id AS company, long_conversation AS conv, session_hash AS session FROM bench_company \
WHERE long_conversation IS NOT NULL \\gset\n\
{SESSION}\
SELECT id, company_id, contact_id, last_message_id, last_message_preview, last_message_time, unread_count, \
is_favorite, is_archived, assigned_to_user_id, is_active, created_at, updated_at \
FROM conversations WHERE company_id = :company AND id = :conv AND is_active;\n\
SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = :conv AND company_id = :company AND is_active \
ORDER BY created_at DESC, id DESC LIMIT :limit;\n"
    )
}

/// Writes the scripts into `dir`.
pub fn write_scripts(dir: &Path) -> anyhow::Result<Vec<Script>> {
    let scripts = [
        (Scenario::Send, "send (naive SQL)", "send_naive", send_naive()),
        (Scenario::Send, "send (our SQL, ungrouped)", "send_ours", send_ours()),
        (Scenario::Status, "status", "status", status()),
        (Scenario::List, "list", "list", list()),
        (Scenario::Search, "search", "search", search()),
        (Scenario::Find, "find", "find", find()),
        (Scenario::Page, "page", "page", page()),
    ];
    let mut out = Vec::new();
    for (scenario, name, file, text) in scripts {
        let file = dir.join(format!("{file}.sql"));
        std::fs::write(&file, text)?;
        out.push(Script { scenario, name, file });
    }
    Ok(out)
}

/// Runs a script with `clients` connections on one pgbench thread (as the
/// app's load generator runs on one) and reads its per-transaction log.
pub async fn run(
    db_url: &str,
    script: &Script,
    clients: usize,
    dir: &Path,
    warmup: Duration,
    measure: Duration,
) -> anyhow::Result<Sample> {
    let prefix =
        dir.join(format!("pgbench_{}_{clients}", script.file.file_stem().and_then(|s| s.to_str()).unwrap_or("x")));
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.to_str().is_some_and(|p| p.starts_with(prefix.to_str().unwrap_or_default())) {
            std::fs::remove_file(path)?;
        }
    }
    let total = (warmup + measure).as_secs().max(1);
    let output = Command::new("pgbench")
        .args(["-n", "-M", "prepared", "-j", "1", "--log"])
        .arg(format!("--log-prefix={}", prefix.display()))
        .args(defines(script.scenario).iter().flat_map(|d| ["-D", d.as_str()]))
        .args(["-c", &clients.to_string(), "-T", &total.to_string(), "-f"])
        .arg(&script.file)
        .arg(db_url)
        .output()
        .await
        .context("running pgbench (apt-get install postgresql-client)")?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(output.status.success(), "pgbench failed on {}: {stderr}{stdout}", script.file.display());
    let aborted = stderr.lines().filter(|l| l.contains("aborted")).count() as u64;

    // Log lines: client transaction latency_us script epoch_s epoch_us.
    let mut done: Vec<(f64, u32)> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if !path.to_str().is_some_and(|p| p.starts_with(prefix.to_str().unwrap_or_default())) {
            continue;
        }
        for line in std::fs::read_to_string(&path)?.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 6 {
                continue;
            }
            let (Ok(latency), Ok(s), Ok(us)) = (f[2].parse::<u32>(), f[4].parse::<f64>(), f[5].parse::<f64>()) else {
                continue;
            };
            done.push((s + us / 1e6, latency));
        }
    }
    anyhow::ensure!(!done.is_empty(), "pgbench logged nothing for {}: {stderr}", script.file.display());
    let first = done.iter().map(|d| d.0).fold(f64::INFINITY, f64::min);
    let from = first + warmup.as_secs_f64();
    let to = from + measure.as_secs_f64();
    let mut latencies_us: Vec<u32> = done.iter().filter(|d| d.0 >= from && d.0 < to).map(|d| d.1).collect();
    latencies_us.sort_unstable();
    Ok(Sample {
        scenario: script.name.to_owned(),
        clients,
        ok: latencies_us.len() as u64,
        errors: aborted,
        first_error: (aborted > 0).then(|| stderr.lines().find(|l| l.contains("aborted")).unwrap_or("").to_owned()),
        seconds: measure.as_secs_f64(),
        latencies_us,
        server_cores: None,
        client_cores: 0.0,
        machine_busy: 0.0,
    })
}
