//! Contacts: the people (or groups) a company talks to, one per phone number.

use inbox_types::dto::ContactDto;
use inbox_types::{CompanyId, ContactId, E164Phone, UserId};
use sqlx::PgConnection;

use crate::error::{DomainError, DomainResult};
use crate::perf::{Operation, timed};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub id: ContactId,
    pub company_id: CompanyId,
    pub phone: E164Phone,
    pub name: Option<String>,
    pub avatar: Option<String>,
    pub is_group: bool,
    pub presence: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ContactRow {
    pub id: uuid::Uuid,
    pub company_id: uuid::Uuid,
    pub phone: String,
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
            phone: E164Phone::from_trusted(r.phone),
            name: r.name,
            avatar: r.avatar,
            is_group: r.is_group,
            presence: r.presence,
        }
    }
}

impl From<Contact> for ContactDto {
    fn from(c: Contact) -> Self {
        ContactDto {
            id: c.id.0,
            phone: c.phone.to_string(),
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
        "id, company_id, phone, name, avatar, is_group, presence"
    };
}

/// Finds the company's contact for `phone`, or creates it. Safe under
/// concurrency: two first sends to one number make one contact (the unique
/// key decides; the loser reads the winner's row).
///
/// A `name` fills in a contact that has none (e.g. a WhatsApp profile name).
pub async fn ensure(
    conn: &mut PgConnection,
    company_id: CompanyId,
    phone: &E164Phone,
    name: Option<&str>,
    actor: Option<UserId>,
) -> Result<(Contact, Ensured), sqlx::Error> {
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    for _ in 0..3 {
        let found: Option<ContactRow> = sqlx::query_as(concat!(
            "SELECT ",
            contact_columns!(),
            " FROM contacts WHERE company_id = $1 AND phone = $2"
        ))
        .bind(company_id.0)
        .bind(phone.as_str())
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(row) = found {
            let mut contact = Contact::from(row);
            if let (None, Some(name)) = (&contact.name, name) {
                sqlx::query(
                    "UPDATE contacts SET name = $3, updated_at = now(), updated_by = $4 \
                     WHERE company_id = $1 AND id = $2 AND name IS NULL",
                )
                .bind(company_id.0)
                .bind(contact.id.0)
                .bind(name)
                .bind(actor.map(|a| a.0))
                .execute(&mut *conn)
                .await?;
                contact.name = Some(name.to_owned());
            }
            return Ok((contact, Ensured::Found));
        }
        let inserted: Option<ContactRow> = sqlx::query_as(concat!(
            "INSERT INTO contacts (id, company_id, phone, name, created_by, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $5) \
             ON CONFLICT (company_id, phone) DO NOTHING RETURNING ",
            contact_columns!()
        ))
        .bind(ContactId::new().0)
        .bind(company_id.0)
        .bind(phone.as_str())
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
        let result =
            ensure(&mut conn, company_id, phone, name, None).await.map_err(DomainError::ContactCreateFailed)?;
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
