//! Inbound messages of every kind keep what the provider said about them,
//! typed: payloads shaped as Meta's webhook reference and Twilio's incoming
//! message parameters show them.

use inbox_types::content::{Choice, Location, Media, MediaFile, MessageContent, SharedContact, SharedPhone};
use inbox_whatsapp::webhook::meta::{self, MetaEvent};
use inbox_whatsapp::webhook::twilio::{self, TwilioEvent};
use serde_json::{Value, json};

/// One Meta message of `type` with its type object, in the full envelope.
fn meta_message(kind: &str, object: Value, extra: Value) -> (MessageContent, Option<String>) {
    let mut message = json!({
        "from": "16315551181",
        "id": "wamid.HBgLMTYzMTU1NTExODEVAgASGBQzQUZCNzQ3RDM3QTYxMDZFQzVDQgA=",
        "timestamp": "1749416383",
        "type": kind,
    });
    message[kind] = object;
    if let (Value::Object(m), Value::Object(e)) = (&mut message, extra) {
        m.extend(e);
    }
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": "16315551181"}],
            "messages": [message]
        }}]}]
    });
    match meta::parse(body.to_string().as_bytes()).unwrap().as_slice() {
        [MetaEvent::Message { content, reply_to, .. }] => (content.clone(), reply_to.clone()),
        other => panic!("expected one message, got {other:?}"),
    }
}

fn meta_content(kind: &str, object: Value) -> MessageContent {
    meta_message(kind, object, json!({})).0
}

#[test]
fn a_meta_image_keeps_its_media_id_mime_type_hash_caption_and_url() {
    let content = meta_content(
        "image",
        json!({"caption": "Our new succulents", "mime_type": "image/jpeg",
               "sha256": "+FlfRIWSBMGBGJwYBrETmIIUsLv4nFCQvxJYqy3nUlo=", "id": "1003383421387256",
               "url": "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1003383421387256"}),
    );
    assert_eq!(
        content,
        MessageContent::Image(Media {
            caption: Some("Our new succulents".into()),
            files: vec![MediaFile {
                provider_media_id: Some("1003383421387256".into()),
                url: Some("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1003383421387256".into()),
                mime_type: Some("image/jpeg".into()),
                sha256: Some("+FlfRIWSBMGBGJwYBrETmIIUsLv4nFCQvxJYqy3nUlo=".into()),
                ..MediaFile::default()
            }],
        })
    );
    assert_eq!(content.rendering(), "Our new succulents");
}

#[test]
fn a_meta_document_keeps_its_filename() {
    let content = meta_content(
        "document",
        json!({"filename": "receipt.pdf", "mime_type": "application/pdf",
               "sha256": "AbCd=", "id": "1573132687022354"}),
    );
    let MessageContent::Document(media) = &content else { panic!("{content:?}") };
    assert_eq!(media.files[0].filename.as_deref(), Some("receipt.pdf"));
    assert_eq!(media.files[0].provider_media_id.as_deref(), Some("1573132687022354"));
    assert_eq!(content.rendering(), "[document: receipt.pdf]");
}

#[test]
fn a_meta_voice_message_is_audio_marked_as_voice() {
    let content = meta_content(
        "audio",
        json!({"mime_type": "audio/ogg; codecs=opus", "sha256": "Ez5=", "id": "1148710727125417", "voice": true}),
    );
    let MessageContent::Audio(media) = &content else { panic!("{content:?}") };
    assert!(media.files[0].voice);
    assert_eq!(media.files[0].mime_type.as_deref(), Some("audio/ogg; codecs=opus"));
    assert_eq!(content.rendering(), "[voice message]");
}

#[test]
fn a_meta_video_and_an_animated_sticker_keep_their_files() {
    let video = meta_content(
        "video",
        json!({"caption": "unboxing", "mime_type": "video/mp4", "sha256": "x1=", "id": "1244154943712744"}),
    );
    assert!(matches!(&video, MessageContent::Video(m) if m.caption.as_deref() == Some("unboxing")
        && m.files[0].provider_media_id.as_deref() == Some("1244154943712744")));
    let sticker =
        meta_content("sticker", json!({"mime_type": "image/webp", "sha256": "s1=", "id": "7777", "animated": true}));
    assert!(matches!(&sticker, MessageContent::Sticker(m) if m.files[0].animated
        && m.files[0].mime_type.as_deref() == Some("image/webp")));
    assert_eq!(sticker.rendering(), "[sticker]");
}

#[test]
fn a_meta_location_keeps_its_coordinates_name_address_and_url() {
    let content = meta_content(
        "location",
        json!({"address": "101 Forest Ave, Palo Alto, CA 94301", "latitude": 37.44211676562361,
               "longitude": -122.16155960083124, "name": "Philz Coffee", "url": "https://www.philzcoffee.com/"}),
    );
    assert_eq!(
        content,
        MessageContent::Location(Location {
            latitude: 37.44211676562361,
            longitude: -122.16155960083124,
            name: Some("Philz Coffee".into()),
            address: Some("101 Forest Ave, Palo Alto, CA 94301".into()),
            url: Some("https://www.philzcoffee.com/".into()),
        })
    );
    assert_eq!(content.rendering(), "[location: Philz Coffee, 101 Forest Ave, Palo Alto, CA 94301]");
}

#[test]
fn meta_contacts_keep_each_cards_name_and_numbers() {
    let (content, _) = {
        let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": "16315551181"}],
            "messages": [{"from": "16315551181", "id": "wamid.C", "timestamp": "1749416383", "type": "contacts",
                "contacts": [{
                    "name": {"formatted_name": "Barbara J. Johnson", "first_name": "Barbara",
                             "last_name": "Johnson"},
                    "phones": [{"phone": "+1 (415) 555-0123", "wa_id": "14155550123", "type": "MOBILE"},
                               {"phone": "+1 (415) 555-0999", "type": "WORK"}],
                    "emails": [{"email": "bjohnson@example.com", "type": "WORK"}]
                }]}]
        }}]}]});
        match meta::parse(body.to_string().as_bytes()).unwrap().as_slice() {
            [MetaEvent::Message { content, reply_to, .. }] => (content.clone(), reply_to.clone()),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(
        content,
        MessageContent::Contacts {
            contacts: vec![SharedContact {
                name: "Barbara J. Johnson".into(),
                phones: vec![
                    SharedPhone { phone: "+1 (415) 555-0123".into(), wa_id: Some("14155550123".into()) },
                    SharedPhone { phone: "+1 (415) 555-0999".into(), wa_id: None },
                ],
            }],
        }
    );
}

#[test]
fn a_meta_reaction_names_the_message_it_reacts_to_and_an_empty_emoji_removes_it() {
    let target = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA";
    assert_eq!(
        meta_content("reaction", json!({"message_id": target, "emoji": "😀"})),
        MessageContent::Reaction { target_provider_id: target.into(), emoji: Some("😀".into()) }
    );
    assert_eq!(
        meta_content("reaction", json!({"message_id": target})),
        MessageContent::Reaction { target_provider_id: target.into(), emoji: None }
    );
}

#[test]
fn a_meta_button_or_list_reply_keeps_the_options_id_and_title() {
    assert_eq!(
        meta_content("interactive", json!({"type": "button_reply", "button_reply": {"id": "yes-btn", "title": "Yes"}})),
        MessageContent::Choice(Choice { title: "Yes".into(), id: Some("yes-btn".into()), description: None })
    );
    assert_eq!(
        meta_content(
            "interactive",
            json!({"type": "list_reply",
                   "list_reply": {"id": "priority", "title": "Priority", "description": "Next-day delivery"}})
        ),
        MessageContent::Choice(Choice {
            title: "Priority".into(),
            id: Some("priority".into()),
            description: Some("Next-day delivery".into())
        })
    );
    assert_eq!(
        meta_content("button", json!({"payload": "STOP_PROMOS", "text": "Stop promotions"})),
        MessageContent::Choice(Choice {
            title: "Stop promotions".into(),
            id: Some("STOP_PROMOS".into()),
            description: None
        })
    );
}

#[test]
fn an_unsupported_meta_message_is_kept_with_what_meta_sent() {
    let content = meta_content("unsupported", json!({"type": "edit"}));
    assert_eq!(
        content,
        MessageContent::Unsupported {
            kind: "unsupported".into(),
            text: Some("[unsupported message: edit]".into()),
            raw: Some(json!({"type": "edit"})),
        }
    );
    let order = meta_content(
        "order",
        json!({"catalog_id": "1", "text": "asap", "product_items": [
            {"product_retailer_id": "A", "quantity": 2, "item_price": 10, "currency": "USD"}]}),
    );
    assert_eq!(order.rendering(), "[order: 1 item: asap]");
    assert!(matches!(order, MessageContent::Unsupported { raw: Some(raw), .. } if raw["catalog_id"] == "1"));
}

#[test]
fn a_meta_reply_names_the_message_it_quotes() {
    let (content, reply_to) = meta_message(
        "text",
        json!({"body": "Yes, that one"}),
        json!({"context": {"from": "15550783881", "id": "wamid.QUOTED"}}),
    );
    assert_eq!(content, MessageContent::text("Yes, that one"));
    assert_eq!(reply_to.as_deref(), Some("wamid.QUOTED"));
}

/// A Twilio inbound WhatsApp message with these parameters on top of the
/// ones every message has.
fn twilio_message(extra: &[(&str, &str)]) -> (MessageContent, Option<String>) {
    let mut params: Vec<(String, String)> = [
        ("SmsMessageSid", "MM1f2e3d4c5b6a79880a1b2c3d4e5f6a7b"),
        ("MessageSid", "MM1f2e3d4c5b6a79880a1b2c3d4e5f6a7b"),
        ("AccountSid", "AC0123456789abcdef0123456789abcdef"),
        ("SmsStatus", "received"),
        ("From", "whatsapp:+6285176810035"),
        ("To", "whatsapp:+14155238886"),
        ("WaId", "6285176810035"),
        ("ProfileName", "teknisee"),
        ("NumSegments", "1"),
        ("ApiVersion", "2010-04-01"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    params.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    match twilio::parse(&params).unwrap() {
        TwilioEvent::Message { content, reply_to, .. } => (content, reply_to),
        other => panic!("{other:?}"),
    }
}

const MEDIA_URL: &str =
    "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages/MM1/Media/ME";

#[test]
fn twilio_media_keeps_every_url_and_content_type_with_the_body_as_caption() {
    let (url0, url1) = (format!("{MEDIA_URL}0"), format!("{MEDIA_URL}1"));
    let (content, _) = twilio_message(&[
        ("MessageType", "image"),
        ("Body", "two photos"),
        ("NumMedia", "2"),
        ("MediaContentType0", "image/jpeg"),
        ("MediaUrl0", &url0),
        ("MediaContentType1", "image/png"),
        ("MediaUrl1", &url1),
    ]);
    assert_eq!(
        content,
        MessageContent::Image(Media {
            caption: Some("two photos".into()),
            files: vec![
                MediaFile { url: Some(url0), mime_type: Some("image/jpeg".into()), ..MediaFile::default() },
                MediaFile { url: Some(url1), mime_type: Some("image/png".into()), ..MediaFile::default() },
            ],
        })
    );
}

#[test]
fn twilio_documents_audio_video_and_stickers_are_told_apart() {
    let url = format!("{MEDIA_URL}0");
    let kind_of = |message_type: Option<&str>, mime: &str| {
        let mut extra = vec![("NumMedia", "1"), ("MediaContentType0", mime), ("MediaUrl0", url.as_str())];
        if let Some(t) = message_type {
            extra.push(("MessageType", t));
        }
        twilio_message(&extra).0.kind().as_str()
    };
    assert_eq!(kind_of(Some("document"), "application/pdf"), "document");
    assert_eq!(kind_of(Some("audio"), "audio/ogg"), "audio");
    assert_eq!(kind_of(Some("video"), "video/mp4"), "video");
    assert_eq!(kind_of(Some("sticker"), "image/webp"), "sticker");
    // Without MessageType the content type decides.
    assert_eq!(kind_of(None, "video/mp4"), "video");
    assert_eq!(kind_of(None, "application/vnd.ms-excel"), "document");
}

#[test]
fn a_twilio_location_keeps_its_coordinates_label_and_address() {
    let (content, _) = twilio_message(&[
        ("MessageType", "location"),
        ("Latitude", "-6.2087634"),
        ("Longitude", "106.845599"),
        ("Label", "Monas"),
        ("Address", "Gambir, Central Jakarta"),
        ("NumMedia", "0"),
    ]);
    assert_eq!(
        content,
        MessageContent::Location(Location {
            latitude: -6.2087634,
            longitude: 106.845599,
            name: Some("Monas".into()),
            address: Some("Gambir, Central Jakarta".into()),
            url: None,
        })
    );
}

#[test]
fn a_twilio_button_reply_keeps_its_payload_and_the_message_it_answers() {
    let (content, reply_to) = twilio_message(&[
        ("MessageType", "interactive"),
        ("Body", "Konfirmasi"),
        ("ButtonText", "Konfirmasi"),
        ("ButtonPayload", "{verifyEmail:asd@asd.com}"),
        ("OriginalRepliedMessageSid", "MM5cc44eecf7dab0d48d4529d0fa4af44d"),
        ("NumMedia", "0"),
    ]);
    assert_eq!(
        content,
        MessageContent::Choice(Choice {
            title: "Konfirmasi".into(),
            id: Some("{verifyEmail:asd@asd.com}".into()),
            description: None
        })
    );
    assert_eq!(reply_to.as_deref(), Some("MM5cc44eecf7dab0d48d4529d0fa4af44d"));
}

#[test]
fn twilio_text_is_text_and_an_empty_message_of_another_type_is_kept_as_unsupported() {
    assert_eq!(twilio_message(&[("MessageType", "text"), ("Body", "Halo")]).0, MessageContent::text("Halo"));
    assert_eq!(
        twilio_message(&[("MessageType", "reaction"), ("NumMedia", "0")]).0,
        MessageContent::Unsupported { kind: "reaction".into(), text: None, raw: None }
    );
}
