//! Inbound mail, and the conversations it feeds: a deal's, and a learner's about a module.
use crate::domain::crm::SyncKind;
use crate::domain::replies::ReplyTopic;
use crate::server::db::Db;

/// A notification a reply answers.
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct Notified {
    pub email_id: i64,
    pub to_address: String,
    pub deal_id: Option<i64>,
    pub path_id: Option<i64>,
    pub created_at: i64,
    pub subject: String,
    pub message_id: Option<String>,
}

impl Notified {
    /// What the notification is about (the query only finds answerable ones).
    pub fn topic(&self) -> Option<ReplyTopic> {
        ReplyTopic::from_columns(self.deal_id, self.path_id)
    }
}

/// Where a message belongs: a deal's conversation (its organisation and the channel team),
/// or one learner's private conversation with the team about one module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conversation {
    Deal(i64),
    Module { path_id: i64, learner_user_id: i64 },
}

impl Conversation {
    /// The conversation a reply about `topic` from `learner` joins (a module's needs the
    /// learner: a reply from someone without an account has no conversation there).
    pub fn of(topic: ReplyTopic, learner: Option<i64>) -> Option<Self> {
        match topic {
            ReplyTopic::Deal(deal_id) => Some(Conversation::Deal(deal_id)),
            ReplyTopic::Module(path_id) => learner.map(|learner_user_id| Conversation::Module {
                path_id,
                learner_user_id,
            }),
        }
    }

    /// The condition that selects this conversation's rows, given the columns of the deal,
    /// the module and the learner in the query (`$1`, and `$2` for a module), and its binds.
    fn condition(self, deal: &str, path: &str, learner: &str) -> (String, i64, Option<i64>) {
        match self {
            Conversation::Deal(deal_id) => (format!("{deal} = $1"), deal_id, None),
            Conversation::Module {
                path_id,
                learner_user_id,
            } => (
                format!("{path} = $1 AND {learner} = $2"),
                path_id,
                Some(learner_user_id),
            ),
        }
    }
}

const NOTIFIED: &str =
    "SELECT id AS email_id, to_address, deal_id, path_id, created_at, subject, message_id \
     FROM email_outbox WHERE (deal_id IS NOT NULL OR path_id IS NOT NULL)";

/// The notification whose reply address carries the key with this hash.
pub async fn notification_by_key(db: &Db, key_hash: &str) -> Result<Option<Notified>, sqlx::Error> {
    sqlx::query_as(&format!("{NOTIFIED} AND reply_key_hash = $1"))
        .bind(key_hash)
        .fetch_optional(&db.read)
        .await
}

/// The newest notification among the Message-IDs a reply names in its thread headers.
pub async fn notification_by_thread(
    db: &Db,
    message_ids: &[String],
) -> Result<Option<Notified>, sqlx::Error> {
    let mut found: Option<Notified> = None;
    // A thread header names a handful of ids; each is one indexed lookup.
    for id in message_ids.iter().take(20) {
        let row: Option<Notified> = sqlx::query_as(&format!("{NOTIFIED} AND message_id = $1"))
            .bind(id)
            .fetch_optional(&db.read)
            .await?;
        if let Some(row) = row {
            if found.as_ref().is_none_or(|f| f.created_at < row.created_at) {
                found = Some(row);
            }
        }
    }
    Ok(found)
}

/// An inbound message as it is stored.
pub struct NewInbound<'a> {
    pub received_at: i64,
    pub via: &'a str,
    pub envelope_from: &'a str,
    pub envelope_to: &'a str,
    pub from_address: &'a str,
    pub from_name: &'a str,
    pub subject: &'a str,
    pub message_id: Option<&'a str>,
    pub notified: Option<&'a Notified>,
    pub user_id: Option<i64>,
    pub verdict: &'a str,
    pub reason: &'a str,
    pub reply_text: &'a str,
    pub raw: &'a str,
    pub raw_sha256: &'a str,
    pub raw_size: i64,
    /// Where the person emailed reads the conversation (the deal's page, or the module's),
    /// for the notice a held reply sends them.
    pub place_url: &'a str,
}

/// Stores a message; for an accepted reply also its place in its conversation, its (deal)
/// audit entry and its CRM timeline job, in one transaction. `None`: the same Message-ID
/// was stored before (a relay delivering twice), and nothing changed.
pub async fn store_inbound(db: &Db, mail: &NewInbound<'_>) -> Result<Option<i64>, sqlx::Error> {
    let mut tx = db.write.begin().await?;
    let id: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO inbound_mail (received_at, via, envelope_from, envelope_to, from_address, from_name, \
         subject, message_id, email_id, deal_id, path_id, user_id, verdict, reason, reply_text, raw_size, raw_sha256, raw_mime) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
         ON CONFLICT (message_id) DO NOTHING RETURNING id",
    )
    .bind(mail.received_at)
    .bind(mail.via)
    .bind(mail.envelope_from)
    .bind(mail.envelope_to)
    .bind(mail.from_address)
    .bind(mail.from_name)
    .bind(mail.subject)
    .bind(mail.message_id)
    .bind(mail.notified.map(|n| n.email_id))
    .bind(mail.notified.and_then(|n| n.deal_id))
    .bind(mail.notified.and_then(|n| n.path_id))
    .bind(mail.user_id)
    .bind(mail.verdict)
    .bind(mail.reason)
    .bind(mail.reply_text)
    .bind(mail.raw_size)
    .bind(mail.raw_sha256)
    .bind(mail.raw)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id,)) = id else {
        return Ok(None);
    };
    let conversation = mail
        .notified
        .and_then(Notified::topic)
        .and_then(|topic| Conversation::of(topic, mail.user_id));
    if let (Some(conversation), "accepted") = (conversation, mail.verdict) {
        let message = NewMessage {
            conversation,
            at: mail.received_at,
            author: mail.user_id,
            from_partner: true,
            body: mail.reply_text,
            inbound_mail_id: Some(id),
            email_id: None,
            decided_by: None,
        };
        add_message(&mut tx, &message).await?;
        super::crm::enqueue(
            &mut *tx,
            SyncKind::Reply,
            id,
            "partner_reply",
            mail.received_at,
        )
        .await?;
    }
    let held = mail.notified.and_then(|n| Some((n, n.topic()?)));
    if let (Some((notified, topic)), "held") = (held, mail.verdict) {
        // The person emailed hears once per email, however many replies from other addresses
        // arrive (and whether or not an admin let an earlier one through).
        let (earlier,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM inbound_mail WHERE email_id = $1 AND id <> $2 \
             AND LOWER(from_address) <> LOWER($3)",
        )
        .bind(notified.email_id)
        .bind(id)
        .bind(&notified.to_address)
        .fetch_one(&mut *tx)
        .await?;
        if earlier == 0 {
            let (subject, body) = crate::domain::replies::held_reply_notice(
                &notified.subject,
                mail.from_address,
                topic,
                mail.place_url,
            );
            super::outbox::enqueue(
                &mut *tx,
                &notified.to_address,
                &subject,
                &body,
                mail.received_at,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(Some(id))
}

/// One message of a conversation.
struct NewMessage<'a> {
    conversation: Conversation,
    at: i64,
    /// The portal user who wrote it (`None`: someone who is not one, e.g. a colleague).
    author: Option<i64>,
    from_partner: bool,
    body: &'a str,
    inbound_mail_id: Option<i64>,
    email_id: Option<i64>,
    /// Who its audit entry names, and why, when that is not the author (an admin who let a
    /// held reply through).
    decided_by: Option<(i64, String)>,
}

/// Adds a message to its conversation; on a deal also its audit entry (the first line,
/// bounded). A module's conversation is the learner's own: its messages are the record.
async fn add_message(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    message: &NewMessage<'_>,
) -> Result<(), sqlx::Error> {
    let deal_id = match message.conversation {
        Conversation::Deal(deal_id) => deal_id,
        Conversation::Module {
            path_id,
            learner_user_id,
        } => {
            sqlx::query(
                "INSERT INTO module_messages (path_id, learner_user_id, at, author_user_id, from_partner, body, \
                 inbound_mail_id, email_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(path_id)
            .bind(learner_user_id)
            .bind(message.at)
            .bind(message.author)
            .bind(i64::from(message.from_partner))
            .bind(message.body)
            .bind(message.inbound_mail_id)
            .bind(message.email_id)
            .execute(&mut **tx)
            .await?;
            return Ok(());
        }
    };
    sqlx::query(
        "INSERT INTO deal_messages (deal_id, at, author_user_id, from_partner, body, inbound_mail_id, email_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(deal_id)
    .bind(message.at)
    .bind(message.author)
    .bind(i64::from(message.from_partner))
    .bind(message.body)
    .bind(message.inbound_mail_id)
    .bind(message.email_id)
    .execute(&mut **tx)
    .await?;
    let first_line: String = message
        .body
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .chars()
        .take(160)
        .collect();
    let (actor, rationale) = match &message.decided_by {
        Some((admin, why)) => (Some(*admin), why.as_str()),
        None => (message.author, ""),
    };
    sqlx::query(
        "INSERT INTO deal_events (deal_id, actor_user_id, at, field, from_value, to_value, rationale) \
         VALUES ($1, $2, $3, $4, '', $5, $6)",
    )
    .bind(deal_id)
    .bind(actor)
    .bind(message.at)
    .bind(if message.from_partner {
        "email_reply"
    } else {
        "staff_answer"
    })
    .bind(first_line)
    .bind(rationale)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Lets a held reply through (an admin read it: a colleague's answer to a forwarded email):
/// it joins its conversation and goes to the CRM as an accepted reply would. `None` if it is
/// not a held reply to an answerable email (already let through, say).
pub async fn release_held(
    db: &Db,
    inbound_id: i64,
    (admin_id, admin): (i64, &str),
    now: i64,
) -> Result<Option<Conversation>, sqlx::Error> {
    let mut tx = db.write.begin().await?;
    let released: Option<(Option<i64>, Option<i64>, i64, String)> = sqlx::query_as(
        "UPDATE inbound_mail SET verdict = 'accepted', reason = $1 \
         WHERE id = $2 AND verdict = 'held' AND (deal_id IS NOT NULL OR path_id IS NOT NULL) \
         AND user_id IS NOT NULL RETURNING deal_id, path_id, user_id, reply_text",
    )
    .bind(format!("Held, then let through by {admin}."))
    .bind(inbound_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((deal_id, path_id, user_id, text)) = released else {
        return Ok(None);
    };
    let Some(conversation) = ReplyTopic::from_columns(deal_id, path_id)
        .and_then(|topic| Conversation::of(topic, Some(user_id)))
    else {
        return Ok(None);
    };
    // The trail names who let it through: the admin is the actor of its audit entry.
    let message = NewMessage {
        conversation,
        at: now,
        author: None,
        from_partner: true,
        body: &text,
        inbound_mail_id: Some(inbound_id),
        email_id: None,
        decided_by: Some((
            admin_id,
            format!("Held for review, then let through by {admin}."),
        )),
    };
    add_message(&mut tx, &message).await?;
    super::crm::enqueue(&mut *tx, SyncKind::Reply, inbound_id, "partner_reply", now).await?;
    tx.commit().await?;
    Ok(Some(conversation))
}

/// A manager's answer in a conversation: the message and the email that carries it to the
/// partner in the same thread, in one transaction.
pub struct Answer<'a> {
    pub conversation: Conversation,
    pub thread: &'a super::outbox::Thread,
    pub author_user_id: i64,
    pub body: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub email_body: &'a str,
    pub in_reply_to: Option<&'a str>,
    pub references: Option<&'a str>,
}

pub async fn answer(db: &Db, answer: &Answer<'_>, now: i64) -> Result<i64, sqlx::Error> {
    let mut tx = db.write.begin().await?;
    let email_id =
        super::outbox::enqueue(&mut *tx, answer.to, answer.subject, answer.email_body, now).await?;
    super::outbox::set_thread(&mut tx, email_id, answer.thread).await?;
    sqlx::query("UPDATE email_outbox SET in_reply_to = $1, thread_references = $2 WHERE id = $3")
        .bind(answer.in_reply_to)
        .bind(answer.references)
        .bind(email_id)
        .execute(&mut *tx)
        .await?;
    let message = NewMessage {
        conversation: answer.conversation,
        at: now,
        author: Some(answer.author_user_id),
        from_partner: false,
        body: answer.body,
        inbound_mail_id: None,
        email_id: Some(email_id),
        decided_by: None,
    };
    add_message(&mut tx, &message).await?;
    tx.commit().await?;
    Ok(email_id)
}

/// The partner's latest reply in a conversation, which a manager's answer continues: who
/// wrote, the subject, and the thread headers.
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct LastReply {
    pub user_id: Option<i64>,
    /// The person's name in the portal (the mail's own name may be missing).
    pub person: Option<String>,
    pub from_address: String,
    pub from_name: String,
    pub subject: String,
    pub message_id: Option<String>,
    /// The notification it answered: the start of the thread's References.
    pub notification_message_id: Option<String>,
}

pub async fn last_reply(
    db: &Db,
    conversation: Conversation,
) -> Result<Option<LastReply>, sqlx::Error> {
    let (place, first, second) = conversation.condition("i.deal_id", "i.path_id", "i.user_id");
    let sql = format!(
        "SELECT i.user_id, u.display_name AS person, i.from_address, i.from_name, i.subject, i.message_id, \
         o.message_id AS notification_message_id \
         FROM inbound_mail i LEFT JOIN email_outbox o ON o.id = i.email_id LEFT JOIN users u ON u.id = i.user_id \
         WHERE {place} AND i.verdict = 'accepted' ORDER BY i.received_at DESC, i.id DESC LIMIT 1"
    );
    let query = sqlx::query_as(&sql).bind(first);
    match second {
        Some(second) => query.bind(second).fetch_optional(&db.read).await,
        None => query.fetch_optional(&db.read).await,
    }
}

#[derive(sqlx::FromRow, Debug, Clone)]
pub struct MessageRow {
    pub id: i64,
    pub at: i64,
    pub author: Option<String>,
    pub from_partner: i64,
    pub body: String,
}

/// A conversation, oldest first (bounded: the newest 200).
pub async fn messages(db: &Db, conversation: Conversation) -> Result<Vec<MessageRow>, sqlx::Error> {
    let table = match conversation {
        Conversation::Deal(_) => "deal_messages",
        Conversation::Module { .. } => "module_messages",
    };
    let (place, first, second) =
        conversation.condition("m.deal_id", "m.path_id", "m.learner_user_id");
    let sql = format!(
        "SELECT m.id, m.at, COALESCE(u.display_name, NULLIF(i.from_name, ''), i.from_address) AS author, \
         m.from_partner, m.body FROM {table} m \
         LEFT JOIN users u ON u.id = m.author_user_id LEFT JOIN inbound_mail i ON i.id = m.inbound_mail_id \
         WHERE {place} ORDER BY m.at DESC, m.id DESC LIMIT 200"
    );
    let query = sqlx::query_as(&sql).bind(first);
    let mut rows: Vec<MessageRow> = match second {
        Some(second) => query.bind(second).fetch_all(&db.read).await?,
        None => query.fetch_all(&db.read).await?,
    };
    rows.reverse();
    Ok(rows)
}

/// What the CRM timeline entry of an accepted reply says and where it belongs.
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct ReplyFacts {
    pub user_id: i64,
    pub person: String,
    pub email: String,
    pub organisation: String,
    /// A reply about a deal: the deal and its customer.
    pub deal_id: Option<i64>,
    pub customer: Option<String>,
    /// A reply about a module: the module and its title.
    pub path_id: Option<i64>,
    pub module_title: Option<String>,
    pub subject: String,
    pub reply_text: String,
    pub received_at: i64,
}

pub async fn reply_facts(db: &Db, inbound_id: i64) -> Result<Option<ReplyFacts>, sqlx::Error> {
    sqlx::query_as(
        // The person emailed is the contact the entry belongs to; a reply an admin let
        // through from someone else (a colleague it was forwarded to) names its writer.
        "SELECT u.id AS user_id, \
         CASE WHEN lower(i.from_address) = lower(u.email) THEN u.display_name \
         ELSE COALESCE(NULLIF(i.from_name, ''), i.from_address) END AS person, \
         i.from_address AS email, COALESCE(p.name, '') AS organisation, \
         d.id AS deal_id, a.name AS customer, lp.id AS path_id, lp.title AS module_title, \
         o.subject, i.reply_text, i.received_at \
         FROM inbound_mail i JOIN users u ON u.id = i.user_id JOIN email_outbox o ON o.id = i.email_id \
         LEFT JOIN deals d ON d.id = i.deal_id LEFT JOIN accounts a ON a.id = d.account_id \
         LEFT JOIN learning_paths lp ON lp.id = i.path_id \
         LEFT JOIN partner_orgs p ON p.id = u.partner_org_id \
         WHERE i.id = $1 AND i.verdict = 'accepted' AND (d.id IS NOT NULL OR lp.id IS NOT NULL)",
    )
    .bind(inbound_id)
    .fetch_optional(&db.read)
    .await
}

/// A line of the inbound-mail log.
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct InboundRow {
    pub id: i64,
    pub received_at: i64,
    pub via: String,
    pub from_address: String,
    pub subject: String,
    pub deal_id: Option<i64>,
    pub path_id: Option<i64>,
    pub user_id: Option<i64>,
    pub verdict: String,
    pub reason: String,
    pub reply_text: String,
    pub raw_size: i64,
}

pub async fn inbound_log(db: &Db, limit: i64) -> Result<Vec<InboundRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, received_at, via, from_address, subject, deal_id, path_id, user_id, verdict, reason, \
         reply_text, raw_size \
         FROM inbound_mail ORDER BY received_at DESC, id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&db.read)
    .await
}

/// A stored message exactly as it arrived, for "show original".
pub async fn original(db: &Db, id: i64) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as("SELECT raw_mime FROM inbound_mail WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.read)
        .await?;
    Ok(row.map(|(raw,)| raw))
}

/// The person a notification went to, by address.
pub async fn user_by_email(db: &Db, email: &str) -> Result<Option<i64>, sqlx::Error> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE lower(email) = lower($1)")
        .bind(email)
        .fetch_optional(&db.read)
        .await?;
    Ok(row.map(|(id,)| id))
}

/// One learner's conversation about a module, as the channel team's list shows it: the
/// latest message and whether it waits for an answer.
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct ModuleThreadRow {
    pub path_id: i64,
    pub module_title: String,
    pub learner_user_id: i64,
    pub learner: String,
    pub learner_email: String,
    pub organisation: String,
    pub messages: i64,
    pub last_at: i64,
    pub last_from_partner: i64,
    pub last_body: String,
}

/// Learners' conversations about modules, the most recent first (bounded by `limit`).
pub async fn module_threads(db: &Db, limit: i64) -> Result<Vec<ModuleThreadRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.path_id, lp.title AS module_title, m.learner_user_id, u.display_name AS learner, \
         u.email AS learner_email, COALESCE(p.name, '') AS organisation, t.messages, m.at AS last_at, \
         m.from_partner AS last_from_partner, m.body AS last_body \
         FROM (SELECT path_id, learner_user_id, MAX(id) AS last_id, COUNT(*) AS messages \
               FROM module_messages GROUP BY path_id, learner_user_id) t \
         JOIN module_messages m ON m.id = t.last_id \
         JOIN learning_paths lp ON lp.id = m.path_id JOIN users u ON u.id = m.learner_user_id \
         LEFT JOIN partner_orgs p ON p.id = u.partner_org_id \
         ORDER BY m.at DESC, m.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&db.read)
    .await
}

/// How many learners' conversations about modules end with the learner's words.
pub async fn module_threads_waiting(db: &Db) -> Result<usize, sqlx::Error> {
    let (waiting,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM module_messages m \
         JOIN (SELECT MAX(id) AS last_id FROM module_messages GROUP BY path_id, learner_user_id) t \
         ON t.last_id = m.id WHERE m.from_partner = 1",
    )
    .fetch_one(&db.read)
    .await?;
    Ok(usize::try_from(waiting).unwrap_or(0))
}

/// Who a module conversation is with, and about what: `None` if either is gone.
pub async fn module_thread_names(
    db: &Db,
    path_id: i64,
    learner_user_id: i64,
) -> Result<Option<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT lp.title, u.display_name FROM learning_paths lp, users u WHERE lp.id = $1 AND u.id = $2",
    )
    .bind(path_id)
    .bind(learner_user_id)
    .fetch_optional(&db.read)
    .await
}
