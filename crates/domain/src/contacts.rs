//! Contacts: the people (or groups) a company talks to, one per WhatsApp
//! account, however WhatsApp names it (BSUID, `wa_id`, number).

use inbox_types::dto::ContactDto;
use inbox_types::identity::equivalence_key;
use inbox_types::{Bsuid, CompanyId, ContactId, E164Phone, UserId, WaId};
use sqlx::{Connection, PgConnection};

use crate::error::{DomainError, DomainResult};
use crate::perf::{Operation, timed};
use crate::provider::{Accepted, Recipient};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub id: ContactId,
    pub company_id: CompanyId,
    /// `+` and digits: typed by an agent (and checked then) or shared by
    /// WhatsApp (authoritative, maybe outside the phone library's ranges).
    /// None for a customer who uses a username and shares no number.
    pub phone: Option<String>,
    /// WhatsApp's id of the customer's number, once WhatsApp has given it
    /// in a form other than the typed number.
    pub wa_id: Option<WaId>,
    /// The number's canonical form for matching (`identity::equivalence_key`).
    pub wa_key: Option<String>,
    pub bsuid: Option<Bsuid>,
    pub parent_bsuid: Option<Bsuid>,
    pub username: Option<String>,
    pub name: Option<String>,
    pub avatar: Option<String>,
    pub is_group: bool,
    pub presence: Option<String>,
}

impl Contact {
    /// Where WhatsApp delivers to this customer: their number (WhatsApp's
    /// own form when known) or, without one, their BSUID.
    pub fn recipient(&self) -> Option<Recipient> {
        let number = self.wa_id.clone().or_else(|| self.phone.as_deref().and_then(|p| WaId::parse(p).ok()));
        match (number, &self.bsuid) {
            (Some(n), _) => Some(Recipient::Number(n)),
            (None, Some(b)) => Some(Recipient::User(b.clone())),
            (None, None) => None,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ContactRow {
    pub id: uuid::Uuid,
    pub company_id: uuid::Uuid,
    pub phone: Option<String>,
    pub wa_id: Option<String>,
    pub wa_key: Option<String>,
    pub bsuid: Option<String>,
    pub parent_bsuid: Option<String>,
    pub username: Option<String>,
    pub name: Option<String>,
    pub avatar: Option<String>,
    pub is_group: bool,
    pub presence: Option<String>,
}

impl From<ContactRow> for Contact {
    fn from(r: ContactRow) -> Self {
        Contact {
            id: ContactId(r.id),
            company_id: CompanyId(r.company_id),
            wa_key: r.wa_key,
            phone: r.phone,
            wa_id: r.wa_id.map(WaId::from_trusted),
            bsuid: r.bsuid.map(Bsuid::from_trusted),
            parent_bsuid: r.parent_bsuid.map(Bsuid::from_trusted),
            username: r.username,
            name: r.name,
            avatar: r.avatar,
            is_group: r.is_group,
            presence: r.presence,
        }
    }
}

impl From<Contact> for ContactRow {
    fn from(c: Contact) -> Self {
        ContactRow {
            id: c.id.0,
            company_id: c.company_id.0,
            phone: c.phone,
            wa_id: c.wa_id.map(|w| w.to_string()),
            wa_key: c.wa_key,
            bsuid: c.bsuid.map(|b| b.to_string()),
            parent_bsuid: c.parent_bsuid.map(|b| b.to_string()),
            username: c.username,
            name: c.name,
            avatar: c.avatar,
            is_group: c.is_group,
            presence: c.presence,
        }
    }
}

impl From<Contact> for ContactDto {
    fn from(c: Contact) -> Self {
        ContactDto {
            id: c.id.0,
            phone_number: c.phone,
            wa_id: c.wa_id.map(|w| w.to_string()),
            bsuid: c.bsuid.map(|b| b.to_string()),
            username: c.username,
            name: c.name,
            avatar: c.avatar,
            is_group: c.is_group,
            presence: c.presence,
        }
    }
}

/// Whether an ensure call found the row or made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ensured {
    Found,
    Created,
}

impl Ensured {
    pub fn created(self) -> bool {
        self == Ensured::Created
    }
}

macro_rules! contact_columns {
    () => {
        "id, company_id, phone, wa_id, wa_key, bsuid, parent_bsuid, username, name, avatar, is_group, presence"
    };
}

/// What we know of a customer from a webhook, a provider's answer or an
/// agent's typing: at least one way to recognise and reach them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// A number an agent typed (checked by the company's rule).
    pub typed: Option<E164Phone>,
    /// The number as WhatsApp gives it.
    pub wa_id: Option<WaId>,
    pub bsuid: Option<Bsuid>,
    pub parent_bsuid: Option<Bsuid>,
    pub username: Option<String>,
}

impl Identity {
    pub fn typed(phone: &E164Phone) -> Self {
        Identity { typed: Some(phone.clone()), ..Default::default() }
    }

    /// The number's digits: WhatsApp's form first.
    fn digits(&self) -> Option<&str> {
        self.wa_id.as_ref().map(WaId::as_str).or_else(|| self.typed.as_ref().map(E164Phone::digits))
    }

    /// `+digits` as the contact's number: WhatsApp's form of a new
    /// customer, or what the agent typed. A number starting with 0 is not
    /// E.164 and is kept as `wa_id` only.
    fn phone(&self) -> Option<String> {
        let typed = self.typed.as_ref().map(|p| p.as_str().to_owned());
        typed.or_else(|| self.wa_id.as_ref().filter(|w| !w.as_str().starts_with('0')).map(WaId::plus_digits))
    }

    fn key(&self) -> Option<String> {
        self.digits().map(equivalence_key)
    }

    fn username(&self) -> Option<&str> {
        self.username.as_deref().map(str::trim).filter(|u| !u.is_empty())
    }
}

/// Finds the company's contact for this customer, or creates it, and
/// records what the identity adds (a `wa_id` or BSUID first seen, a new
/// username). A customer is matched by BSUID first, then by the canonical
/// form of their number, so the forms WhatsApp uses for one account (and a
/// customer who starts using a username) stay one contact.
///
/// Safe under concurrency: two first contacts with one customer make one
/// row (the unique keys decide; the loser reads the winner's row).
///
/// A `name` fills in a contact that has none (e.g. a WhatsApp profile name).
pub async fn ensure(
    conn: &mut PgConnection,
    company_id: CompanyId,
    who: &Identity,
    name: Option<&str>,
    actor: Option<UserId>,
) -> Result<(Contact, Ensured), sqlx::Error> {
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    let (key, phone) = (who.key(), who.phone());
    let bsuid = who.bsuid.as_ref().map(Bsuid::as_str);
    if key.is_none() && bsuid.is_none() {
        // Callers build identities from parsed values; this is a bug.
        return Err(sqlx::Error::Protocol("a contact needs a number or a BSUID".into()));
    }
    for _ in 0..3 {
        // A contact made before keys existed (or a duplicate left for
        // `inbox doctor`) is still found by its number.
        let found: Option<ContactRow> = sqlx::query_as(concat!(
            "SELECT ",
            contact_columns!(),
            " FROM contacts WHERE company_id = $1 AND (bsuid = $2 OR wa_key = $3 OR phone = $4) \
             ORDER BY (bsuid = $2) IS TRUE DESC, (wa_key = $3) IS TRUE DESC, created_at LIMIT 1"
        ))
        .bind(company_id.0)
        .bind(bsuid)
        .bind(key.as_deref())
        .bind(phone.as_deref())
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(row) = found {
            let contact = learn(conn, row, who, name, actor).await?;
            return Ok((contact, Ensured::Found));
        }
        let inserted: Option<ContactRow> = sqlx::query_as(concat!(
            "INSERT INTO contacts (id, company_id, phone, wa_id, wa_key, bsuid, parent_bsuid, username, name, \
                                   created_by, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
             ON CONFLICT DO NOTHING RETURNING ",
            contact_columns!()
        ))
        .bind(ContactId::new().0)
        .bind(company_id.0)
        .bind(phone.as_deref())
        .bind(who.wa_id.as_ref().map(WaId::as_str))
        .bind(key.as_deref())
        .bind(bsuid)
        .bind(who.parent_bsuid.as_ref().map(Bsuid::as_str))
        .bind(who.username())
        .bind(name)
        .bind(actor.map(|a| a.0))
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(row) = inserted {
            return Ok((row.into(), Ensured::Created));
        }
        // Another transaction inserted it between our read and our insert:
        // read it again.
    }
    Err(sqlx::Error::RowNotFound)
}

/// Writes what `who` adds to a found contact; nothing when it adds nothing
/// (the common case costs no write). A number or BSUID that another
/// contact of the company already holds is left where it is: merging two
/// contacts is `inbox doctor`'s decision, never a webhook's.
async fn learn(
    conn: &mut PgConnection,
    row: ContactRow,
    who: &Identity,
    name: Option<&str>,
    actor: Option<UserId>,
) -> Result<Contact, sqlx::Error> {
    let wa_id = who.wa_id.as_ref().map(WaId::as_str).filter(|w| row.wa_id.as_deref() != Some(*w));
    let key = who.key().filter(|k| row.wa_key.as_deref() != Some(k.as_str()));
    let phone = who.phone().filter(|_| row.phone.is_none());
    let bsuid = who.bsuid.as_ref().map(Bsuid::as_str).filter(|b| row.bsuid.as_deref() != Some(*b));
    let parent = who.parent_bsuid.as_ref().map(Bsuid::as_str).filter(|b| row.parent_bsuid.as_deref() != Some(*b));
    let username = who.username().filter(|u| row.username.as_deref() != Some(*u));
    let name = name.filter(|_| row.name.is_none());
    if wa_id.is_none()
        && key.is_none()
        && phone.is_none()
        && bsuid.is_none()
        && parent.is_none()
        && username.is_none()
        && name.is_none()
    {
        return Ok(row.into());
    }
    if let (Some(stored), Some(new)) = (row.bsuid.as_deref(), bsuid) {
        // Meta makes a new BSUID when a number changes hands: this may be
        // another person on a recycled number. Never re-pointed silently.
        tracing::warn!(contact_id = %row.id, stored, new, "a contact's number arrived with another BSUID; kept the stored one");
    }
    // A concurrent write may take an id between the checks and the update:
    // then nothing is learned this time (a savepoint keeps the caller's
    // transaction usable), and the next message tries again.
    let mut savepoint = conn.begin().await?;
    let updated: Result<ContactRow, sqlx::Error> = sqlx::query_as(concat!(
        "UPDATE contacts c SET \
            wa_id = CASE WHEN $3::text IS NULL OR EXISTS (SELECT 1 FROM contacts o \
                           WHERE o.company_id = $1 AND o.wa_key = $4 AND o.id <> c.id) \
                          THEN c.wa_id ELSE $3 END, \
            wa_key = CASE WHEN $4::text IS NULL OR EXISTS (SELECT 1 FROM contacts o \
                           WHERE o.company_id = $1 AND o.wa_key = $4 AND o.id <> c.id) \
                          THEN c.wa_key ELSE $4 END, \
            phone = CASE WHEN $5::text IS NULL OR EXISTS (SELECT 1 FROM contacts o \
                           WHERE o.company_id = $1 AND o.phone = $5 AND o.id <> c.id) \
                          THEN c.phone ELSE $5 END, \
            bsuid = CASE WHEN $6::text IS NULL OR c.bsuid IS NOT NULL OR EXISTS (SELECT 1 FROM contacts o \
                           WHERE o.company_id = $1 AND o.bsuid = $6 AND o.id <> c.id) \
                          THEN c.bsuid ELSE $6 END, \
            parent_bsuid = COALESCE($7, c.parent_bsuid), \
            username = COALESCE($8, c.username), \
            name = COALESCE(c.name, $9), \
            updated_at = now(), updated_by = COALESCE($10, c.updated_by) \
          WHERE c.company_id = $1 AND c.id = $2 RETURNING ",
        contact_columns!()
    ))
    .bind(row.company_id)
    .bind(row.id)
    .bind(wa_id)
    .bind(key.as_deref())
    .bind(phone.as_deref())
    .bind(bsuid)
    .bind(parent)
    .bind(username)
    .bind(name)
    .bind(actor.map(|a| a.0))
    .fetch_one(&mut *savepoint)
    .await;
    match updated {
        Ok(updated) => {
            savepoint.commit().await?;
            Ok(updated.into())
        }
        Err(e) if is_unique_violation(&e) => {
            savepoint.rollback().await?;
            tracing::info!(contact_id = %row.id, "an identity was taken concurrently; not recorded this time");
            Ok(row.into())
        }
        Err(e) => Err(e),
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation())
}

/// Records what a provider's answer to a send says of the recipient (Meta's
/// `contacts[0].wa_id`, which for Mexico or Brazil may be another form of
/// the typed number, and `user_id`), so the customer's replies in that form
/// find this contact. Best effort: the message is sent either way, and a
/// failure here is logged, never the send's error.
pub async fn learn_from_receipt(db: &sqlx::PgPool, contact: &Contact, receipt: &Accepted) {
    // A wa_id that is the typed number itself teaches nothing: matching
    // goes by the number's key already. Only another form (Mexico's 521,
    // Brazil's ninth digit) or a BSUID is worth a write.
    let typed_digits = contact.phone.as_deref().map(|p| p.trim_start_matches('+'));
    let new_wa_id =
        receipt.wa_id.as_ref().filter(|w| contact.wa_id.as_ref() != Some(*w) && typed_digits != Some(w.as_str()));
    let new_bsuid = receipt.bsuid.as_ref().filter(|b| contact.bsuid.as_ref() != Some(*b));
    if new_wa_id.is_none() && new_bsuid.is_none() {
        return;
    }
    let who = Identity { wa_id: new_wa_id.cloned(), bsuid: new_bsuid.cloned(), ..Default::default() };
    let learned = async {
        let mut conn = db.acquire().await?;
        learn(&mut conn, ContactRow::from(contact.clone()), &who, None, None).await.map(drop)
    };
    if let Err(e) = learned.await {
        tracing::warn!(contact_id = %contact.id, error = %e, "the recipient's WhatsApp id was not recorded");
    }
}

/// Records the BSUID a status names on the contact its message went to,
/// when that contact has none (and no other contact has it). One statement
/// that changes nothing in the common case.
pub async fn learn_recipient_bsuid(
    conn: &mut PgConnection,
    company_id: CompanyId,
    provider_message_id: &str,
    bsuid: &Bsuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE contacts c SET bsuid = $3, updated_at = now() \
          WHERE c.company_id = $1 AND c.bsuid IS NULL \
            AND c.id = (SELECT contact_id FROM messages WHERE company_id = $1 AND provider_message_id = $2) \
            AND NOT EXISTS (SELECT 1 FROM contacts o WHERE o.company_id = $1 AND o.bsuid = $3)",
    )
    .bind(company_id.0)
    .bind(provider_message_id)
    .bind(bsuid.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// A customer's new number or BSUID (WhatsApp's `user_changed_number` and
/// `user_changed_user_id`): the contact found by its old identity takes the
/// new ones, unless another contact of the company already has them.
/// Returns the contact as it is now, or None when no contact had the old
/// identity (or the new one is another contact's).
pub async fn change_number(
    conn: &mut PgConnection,
    company_id: CompanyId,
    old: &Identity,
    new_wa_id: Option<&WaId>,
    new_bsuid: Option<&Bsuid>,
) -> Result<Option<Contact>, sqlx::Error> {
    let (old_key, old_bsuid) = (old.key(), old.bsuid.as_ref().map(Bsuid::as_str));
    if (old_key.is_none() && old_bsuid.is_none()) || (new_wa_id.is_none() && new_bsuid.is_none()) {
        return Ok(None);
    }
    let new_phone = new_wa_id.filter(|w| !w.as_str().starts_with('0')).map(WaId::plus_digits);
    let mut savepoint = conn.begin().await?;
    let updated: Result<Option<ContactRow>, sqlx::Error> = sqlx::query_as(concat!(
        "UPDATE contacts c SET wa_id = COALESCE($4, c.wa_id), wa_key = COALESCE($5, c.wa_key), \
                phone = COALESCE($6, c.phone), bsuid = COALESCE($7, c.bsuid), updated_at = now() \
          WHERE c.id = (SELECT id FROM contacts WHERE company_id = $1 AND (bsuid = $2 OR wa_key = $3) \
                         ORDER BY (bsuid = $2) IS TRUE DESC LIMIT 1) \
            AND NOT EXISTS (SELECT 1 FROM contacts o WHERE o.company_id = $1 AND o.id <> c.id \
                             AND (o.wa_key = $5 OR o.phone = $6 OR o.bsuid = $7)) \
         RETURNING ",
        contact_columns!()
    ))
    .bind(company_id.0)
    .bind(old_bsuid)
    .bind(old_key.as_deref())
    .bind(new_wa_id.map(WaId::as_str))
    .bind(new_wa_id.map(WaId::key))
    .bind(new_phone)
    .bind(new_bsuid.map(Bsuid::as_str))
    .fetch_optional(&mut *savepoint)
    .await;
    let updated = match updated {
        Ok(updated) => {
            savepoint.commit().await?;
            updated
        }
        // Another contact took the new number meanwhile: as if it had it.
        Err(e) if is_unique_violation(&e) => {
            savepoint.rollback().await?;
            None
        }
        Err(e) => return Err(e),
    };
    Ok(updated.map(Contact::from))
}

/// `ensureContact` of the plan, on its own connection.
#[tracing::instrument(skip(db), fields(company_id = %company_id, phone = %phone))]
pub async fn ensure_contact(
    db: &sqlx::PgPool,
    company_id: CompanyId,
    phone: &E164Phone,
    name: Option<&str>,
) -> DomainResult<(Contact, Ensured)> {
    timed(Operation::EnsureContact, async {
        let mut conn = db.acquire().await?;
        let result = ensure(&mut conn, company_id, &Identity::typed(phone), name, None)
            .await
            .map_err(DomainError::ContactCreateFailed)?;
        tracing::debug!(created = result.1.created(), contact_id = %result.0.id, "ensureContact");
        Ok(result)
    })
    .await
}

pub async fn find(conn: &mut PgConnection, company_id: CompanyId, id: ContactId) -> DomainResult<Contact> {
    let row: Option<ContactRow> =
        sqlx::query_as(concat!("SELECT ", contact_columns!(), " FROM contacts WHERE company_id = $1 AND id = $2"))
            .bind(company_id.0)
            .bind(id.0)
            .fetch_optional(conn)
            .await?;
    row.map(Contact::from).ok_or(DomainError::NotFound("contact"))
}
