//! Request extractors that turn every malformed input into a clear
//! VALIDATION_ERROR naming the field, never a 500 or a bare text answer.

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Largest JSON body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Reads a JSON body. Errors name the field (`messageText: invalid type ...`).
///
/// Handlers call this after the caller is authenticated (an extractor would
/// race the authentication and tell strangers what is wrong with their body).
pub async fn json_body<T: DeserializeOwned>(req: &HttpRequest, mut payload: web::Payload) -> Result<T, ApiError> {
    let is_json =
        req.mime_type().ok().flatten().is_some_and(|m| m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON));
    if !is_json {
        return Err(ApiError::malformed("body", "the body must be JSON (Content-Type: application/json)"));
    }
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(ApiError::TooLarge { limit: MAX_BODY_BYTES });
    }
    let body = read_body(&mut payload, MAX_BODY_BYTES).await?;
    parse_json(&body)
}

/// How long a client may take to send a body once its headers are in (the
/// server's own timeout covers only the headers): a client that sends part
/// of a body and stops must not hold a connection and a task for ever.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Reads a body of at most `limit` bytes within [`BODY_TIMEOUT`].
pub async fn read_body(payload: &mut web::Payload, limit: usize) -> Result<web::BytesMut, ApiError> {
    let read = async {
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|_| ApiError::malformed("body", "the body could not be read"))?;
            if body.len() + chunk.len() > limit {
                return Err(ApiError::TooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    };
    tokio::time::timeout(BODY_TIMEOUT, read).await.unwrap_or_else(|_| {
        Err(ApiError::malformed("body", format!("the body did not arrive within {} s", BODY_TIMEOUT.as_secs())))
    })
}

/// Deserializes JSON, reporting the path of the offending field.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::malformed("body", "the body is empty; send a JSON object"));
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        // A field's path names it; an error about the body as a whole (or
        // an array where an object belongs) is about the "body".
        let named = matches!(e.path().iter().next(), Some(serde_path_to_error::Segment::Map { .. }));
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        // serde names missing and unknown fields in the message itself.
        let about_a_field = message.starts_with("missing field") || message.starts_with("unknown field");
        let field = match (named, about_a_field) {
            (true, _) => path,
            (false, true) => backticked(&message).unwrap_or_else(|| "body".to_owned()),
            (false, false) => "body".to_owned(),
        };
        ApiError::malformed(&field, format!("{field}: {}", strip_position(&message)))
    })
}

fn backticked(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_owned())
}

/// "... at line 1 column 5" says nothing to an API client.
fn strip_position(message: &str) -> &str {
    message.rsplit_once(" at line ").map_or(message, |(m, _)| m)
}

/// Reads the query string. Unknown parameters name themselves.
pub fn query<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(req.query_string().as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let message = e.inner().to_string();
        let field = backticked(&message).unwrap_or_else(|| e.path().to_string());
        ApiError::malformed(&field, format!("query parameter {message}"))
    })
}

/// Reads a typed id from the path, naming the id's field when it is not a UUID.
pub fn path_id<T: std::str::FromStr<Err = inbox_types::ValidationError>>(raw: &str) -> Result<T, ApiError> {
    raw.parse().map_err(ApiError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use inbox_types::dto::SendNewMessageRequest;

    fn field(body: &str) -> String {
        match parse_json::<SendNewMessageRequest>(body.as_bytes()) {
            Err(ApiError::Malformed(v)) => v.field,
            other => panic!("expected a malformed error, got {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn json_errors_name_the_field() {
        assert_eq!(field(r#"{"phoneNumber": "+14155550100"}"#), "messageText");
        assert_eq!(field(r#"{"phoneNumber": 5, "messageText": "x"}"#), "phoneNumber");
        assert_eq!(field(r#"{"phoneNumber": "1", "messageText": "x", "extra": true}"#), "extra");
        assert_eq!(field("not json"), "body");
        assert_eq!(field(""), "body");
        assert_eq!(field("[1,2]"), "body");
    }
}
