//! Providers' callbacks turned into domain changes: the one reading of a
//! parsed callback, shared by the webhook routes and by
//! `inbox replay-webhooks`, which applies stored callbacks again.
//!
//! What WhatsApp delivers is authoritative: a sender is accepted by its
//! BSUID or by a `wa_id` of plausible shape, never refused by the phone
//! library's numbering plans.

use chrono::{DateTime, Utc};
use inbox_domain::channels::{self, Channel, ProviderKind};
use inbox_domain::contacts::Identity;
use inbox_domain::delivery::ProviderStatus;
use inbox_domain::inbound::{InboundMessage, NumberChange};
use inbox_domain::webhook_events::{self, Applied, Change, FailureReason, Unapplied};
use inbox_domain::{DomainError, DomainResult};
use inbox_types::{Bsuid, MessageStatus, WaId};
use inbox_whatsapp::webhook::{meta, twilio};
use sqlx::PgPool;

/// The changes a Meta-format callback asks for. `signed_by` are the
/// channels whose app secret signed it: only they may be touched.
pub fn meta_changes(signed_by: &[&Channel], events: &[meta::MetaEvent]) -> Vec<Result<Change, Unapplied>> {
    let mut changes = Vec::with_capacity(events.len());
    for event in events {
        let Some(channel) = signed_by.iter().find(|c| c.external_id == event.phone_number_id()) else {
            changes.push(Err(Unapplied::new(
                FailureReason::UnknownChannel,
                format!("unknown phone_number_id {}", event.phone_number_id()),
            )));
            continue;
        };
        changes.push(meta_change(channel, event));
        // The first status of a message sent to a number names the
        // customer's BSUID, which Meta's answer to the send leaves out.
        if let meta::MetaEvent::Status {
            provider_message_id,
            status: MessageStatus::Sent,
            recipient_user_id: Some(id),
            ..
        } = event
            && let Ok(bsuid) = Bsuid::parse(id)
        {
            changes.push(Ok(Change::RecipientBsuid(channel.company_id, provider_message_id.clone(), bsuid)));
        }
    }
    changes
}

fn meta_change(channel: &Channel, event: &meta::MetaEvent) -> Result<Change, Unapplied> {
    Ok(match event {
        meta::MetaEvent::Status { provider_message_id, status, error_code, error_message, .. } => Change::Status(
            channel.company_id,
            ProviderStatus {
                provider_message_id: provider_message_id.clone(),
                status: *status,
                error_code: error_code.clone(),
                error_message: error_message.clone(),
            },
        ),
        meta::MetaEvent::Message { provider_message_id, sender, content, reply_to, timestamp, system, .. } => {
            let from = identity(
                sender.wa_id.as_deref(),
                sender.user_id.as_deref(),
                sender.parent_user_id.as_deref(),
                sender.username.as_deref(),
            )?;
            let number_change = system.as_ref().and_then(number_change);
            let inbound = InboundMessage {
                channel_id: Some(channel.id),
                from,
                profile_name: sender.profile_name.clone(),
                provider_message_id: provider_message_id.clone(),
                content: content.clone(),
                reply_to: reply_to.clone(),
                sent_at: *timestamp,
                number_change,
            };
            Change::Inbound(channel.company_id, Box::new(inbound))
        }
    })
}

/// A `user_changed_number` / `user_changed_user_id` line's new identity;
/// other system lines only show.
fn number_change(system: &meta::SystemChange) -> Option<NumberChange> {
    let wa_id = system.new_wa_id.as_deref().and_then(|w| WaId::parse(w).ok());
    let bsuid = system.new_user_id.as_deref().and_then(|b| Bsuid::parse(b).ok());
    let changes =
        matches!(system.kind.as_str(), "user_changed_number" | "user_changed_user_id" | "customer_changed_number");
    (changes && (wa_id.is_some() || bsuid.is_some())).then_some(NumberChange { wa_id, bsuid })
}

/// The customer's identity from what WhatsApp sent: a BSUID, or a number of
/// plausible shape (6 to 15 digits), or both. Either alone is enough; a
/// malformed one beside a good one is left out.
fn identity(
    wa_id: Option<&str>,
    user_id: Option<&str>,
    parent_user_id: Option<&str>,
    username: Option<&str>,
) -> Result<Identity, Unapplied> {
    let number = wa_id.map(WaId::parse);
    let bsuid = user_id.map(Bsuid::parse);
    let who = Identity {
        typed: None,
        wa_id: number.clone().and_then(Result::ok),
        bsuid: bsuid.clone().and_then(Result::ok),
        parent_bsuid: parent_user_id.and_then(|p| Bsuid::parse(p).ok()),
        username: username.map(str::trim).filter(|u| !u.is_empty()).map(|u| u.chars().take(100).collect()),
    };
    if who.wa_id.is_some() || who.bsuid.is_some() {
        return Ok(who);
    }
    let said = [number.and_then(Result::err), bsuid.and_then(Result::err)]
        .into_iter()
        .flatten()
        .map(|e| e.message)
        .collect::<Vec<_>>();
    let message = match said.is_empty() {
        true => "the sender has neither a WhatsApp number nor a BSUID".to_owned(),
        false => format!("the sender could not be read: {}", said.join("; ")),
    };
    Err(Unapplied::new(FailureReason::InvalidIdentity, message))
}

/// The change a Twilio callback asks for; None for a status that says
/// nothing new.
pub fn twilio_change(channel: &Channel, event: twilio::TwilioEvent) -> Option<Result<Change, Unapplied>> {
    Some(match event {
        twilio::TwilioEvent::Status { provider_message_id, status, error_code, error_message, .. } => {
            Ok(Change::Status(
                channel.company_id,
                ProviderStatus { provider_message_id, status, error_code, error_message },
            ))
        }
        twilio::TwilioEvent::Message { provider_message_id, sender, content, reply_to, .. } => {
            // `From` is `+digits`, or the BSUID of a customer who shares no number.
            let from_is_number = sender.from.starts_with('+') || sender.from.starts_with(|c: char| c.is_ascii_digit());
            let wa_id = sender.wa_id.as_deref().or(from_is_number.then_some(sender.from.as_str()));
            let user_id = sender.user_id.as_deref().or((!from_is_number).then_some(sender.from.as_str()));
            identity(wa_id, user_id, sender.parent_user_id.as_deref(), None).map(|from| {
                Change::Inbound(
                    channel.company_id,
                    Box::new(InboundMessage {
                        channel_id: Some(channel.id),
                        from,
                        profile_name: sender.profile_name,
                        provider_message_id,
                        content,
                        reply_to,
                        sent_at: None,
                        number_change: None,
                    }),
                )
            })
        }
        twilio::TwilioEvent::Ignored => return None,
    })
}

/// Makes the events a callback could not apply visible: a WARN with the
/// stored callback's id and, for a callback as it arrives (not a replay of
/// one counted already), a count by reason in `/metrics`.
pub fn report(applied: &Applied, replay: bool) {
    for failure in &applied.failures {
        if !replay {
            metrics::counter!("inbox_webhook_events_failed_total", "reason" => failure.reason.as_str()).increment(1);
        }
        tracing::warn!(
            webhook_event_id = %applied.event_id.map_or_else(String::new, |id| id.to_string()),
            reason = failure.reason.as_str(),
            replay,
            "a webhook event was not applied (kept for `inbox replay-webhooks --failed`): {}",
            failure.message
        );
    }
}

/// What `inbox replay-webhooks` did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReplaySummary {
    pub replayed: usize,
    /// Callbacks whose every event now applied.
    pub fixed: usize,
    pub still_failing: usize,
}

/// Applies every failed callback received since `since` again, with the
/// channels and rules as they are now. One callback that cannot be read or
/// applied is reported and left failing; the others go on.
pub async fn replay_failed(db: &PgPool, since: Option<DateTime<Utc>>) -> DomainResult<ReplaySummary> {
    let mut summary = ReplaySummary::default();
    for stored in webhook_events::failed_since(db, since).await? {
        summary.replayed += 1;
        let replayed = async {
            let changes = stored_changes(db, &stored).await?;
            webhook_events::replay(db, stored.id, changes).await
        };
        match replayed.await {
            Ok(applied) if applied.failures.is_empty() => summary.fixed += 1,
            Ok(applied) => {
                report(&applied, true);
                summary.still_failing += 1;
            }
            Err(e) => {
                tracing::warn!(webhook_event_id = %stored.id, error = %e, "a failed webhook callback could not be replayed");
                summary.still_failing += 1;
            }
        }
    }
    Ok(summary)
}

/// A stored callback read again, as the webhook read it when it came: only
/// the channels of the secret that signed it may be touched.
async fn stored_changes(
    db: &PgPool,
    stored: &webhook_events::StoredCallback,
) -> DomainResult<Vec<Result<Change, Unapplied>>> {
    let provider: ProviderKind = stored.provider.parse().map_err(DomainError::internal)?;
    // What it failed for stays said when it cannot be read again.
    let unreadable = |why: &str| {
        let said = stored.error.as_deref().unwrap_or("failed");
        vec![Err(Unapplied::new(FailureReason::Unapplied, format!("{said} (replay: {why})")))]
    };
    Ok(match provider {
        ProviderKind::Meta | ProviderKind::Sandbox => {
            let all = channels::meta_format_channels(db).await?;
            let signer = stored.signer_channel_id.or(stored.channel_id);
            let Some(secret) = all
                .iter()
                .find(|c| Some(c.id.0) == signer)
                .and_then(|c| c.app_secret.as_ref().map(|s| s.expose().to_owned()))
            else {
                return Ok(unreadable("the channel that signed it is gone"));
            };
            let events = match meta::parse(&serde_json::to_vec(&stored.payload).unwrap_or_default()) {
                Ok(events) => events,
                Err(e) => return Ok(unreadable(&e.to_string())),
            };
            let signed_by: Vec<&Channel> =
                all.iter().filter(|c| c.app_secret.as_ref().is_some_and(|s| s.expose() == secret)).collect();
            meta_changes(&signed_by, &events)
        }
        ProviderKind::Twilio => {
            let (Some(company), Some(channel)) = (stored.company_id, stored.channel_id) else {
                return Ok(unreadable("it names no channel of ours"));
            };
            let channel =
                match channels::find(db, inbox_types::CompanyId(company), inbox_types::ChannelId(channel)).await {
                    Ok(channel) => channel,
                    Err(DomainError::ChannelNotConfigured) => return Ok(unreadable("its channel is gone")),
                    Err(e) => return Err(e),
                };
            let params: Vec<(String, String)> = stored
                .payload
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect();
            match twilio::parse(&params) {
                Ok(event) => twilio_change(&channel, event).into_iter().collect(),
                Err(e) => unreadable(&e.to_string()),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use inbox_domain::channels::Secret;
    use inbox_types::{ChannelId, CompanyId};
    use proptest::prelude::*;

    fn meta_channel() -> Channel {
        Channel {
            id: ChannelId(uuid::Uuid::nil()),
            company_id: CompanyId(uuid::Uuid::nil()),
            provider: ProviderKind::Meta,
            name: String::new(),
            phone_number: None,
            external_id: "106540352242922".into(),
            credentials: Secret::new("{}"),
            verify_token: None,
            app_secret: None,
            is_default: true,
        }
    }

    proptest! {
        /// WhatsApp's numbering is authoritative: whatever 6 to 15 digits it
        /// delivers as a sender, the message is taken, under that wa_id.
        #[test]
        fn no_inbound_wa_id_of_6_to_15_digits_is_ever_refused(wa_id in "[0-9]{6,15}") {
            let channel = meta_channel();
            let body = meta::text_message_payload(&channel.external_id, &wa_id, "Ana", "wamid.P", "hi", Utc::now());
            let events = meta::parse(&body).unwrap();
            let changes = meta_changes(&[&channel], &events);
            prop_assert_eq!(changes.len(), 1);
            match &changes[0] {
                Ok(Change::Inbound(_, m)) => prop_assert_eq!(m.from.wa_id.as_ref().map(WaId::as_str), Some(wa_id.as_str())),
                Ok(_) => prop_assert!(false, "not an inbound message"),
                Err(e) => prop_assert!(false, "refused: {}", e.message),
            }
        }
    }

    #[test]
    fn a_sender_is_read_by_bsuid_or_by_a_plausible_number() {
        let who = identity(Some("5215512345678"), None, None, None).unwrap();
        assert_eq!(who.wa_id.unwrap().as_str(), "5215512345678");
        let who = identity(None, Some("US.13491208655302741918"), None, Some("@sheena")).unwrap();
        assert_eq!(who.bsuid.unwrap().as_str(), "US.13491208655302741918");
        assert_eq!(who.username.as_deref(), Some("@sheena"));
        // A malformed number beside a good BSUID is left out, not fatal.
        let who = identity(Some("not-a-number"), Some("BR.1502576394655843"), None, None).unwrap();
        assert!(who.wa_id.is_none());
        let e = identity(Some("12ab"), None, None, None).unwrap_err();
        assert_eq!(e.reason, FailureReason::InvalidIdentity);
        assert_eq!(identity(None, None, None, None).unwrap_err().reason, FailureReason::InvalidIdentity);
    }
}
