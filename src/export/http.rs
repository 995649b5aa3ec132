//! The OTLP/HTTP exporter: one blocking POST per request.
//!
//! Reads: an `ExportMetricsServiceRequest` as protobuf bytes or OTLP/JSON (`BodyFormat`).
//! Emits: `POST <endpoint>` with `Content-Type: application/x-protobuf` or
//! `application/json` (and `Content-Encoding: gzip` when compressed), our `User-Agent` and
//! the user's headers; an
//! `Outcome` from the answer (exporter spec §2.2): a 2xx is delivered (its
//! `partial_success` logged and counted, read from protobuf or JSON as the answer says); 429/502/503/504 and network failures (refused,
//! reset, EOF, timeout, DNS, TLS) are retryable, with `Retry-After`; any other status is
//! final. Failure texts carry the status and the first bytes of the body, or the cause. A
//! 2xx whose body is cut is delivered; it is reported once per run through `report`.
//!
//! ureq 3 is set up against its traps (exporter spec §2.4): status codes are answers, not
//! errors (else the body is lost); every request has a global timeout (ureq has none by
//! default, so a silent endpoint would hang the loop) and a connect timeout of at most 5 s;
//! redirects are not followed (they would turn the POST into a GET); one idle connection is
//! kept; buffers are 32 KiB instead of 128 KiB; response bodies are read up to 64 KiB.

use super::backoff::parse_retry_after;
use super::{BodyFormat, ErrorType, Outcome};
use crate::config::OtlpOptions;
use crate::json::{self, Json};
use crate::otlp::{ExportMetricsServiceResponse, Status};
use crate::report::{Failure, Report};
use crate::units;
use prost::Message;
use std::fmt;
use std::time::{Duration, Instant, SystemTime};

const MAX_RESPONSE_BYTES: u64 = 64 * 1024;
const EXCERPT_BYTES: usize = 200;
const MAX_CONNECT: Duration = Duration::from_secs(5);
const BUFFER_BYTES: usize = 32 * 1024;
const PROTOBUF: &str = "application/x-protobuf";
const JSON: &str = "application/json";
/// Statuses worth retrying (OTLP/HTTP specification, "Retryable Response Codes").
const RETRYABLE: [u16; 4] = [429, 502, 503, 504];

/// The `report` source of 2xx answers whose body could not be read.
const RESPONSE: &str = "response";

/// A 2xx answer whose body was cut or unreadable: delivered, but worth one line per run
/// of them, not one per tick (exporter spec §5.2).
#[derive(Debug)]
struct Unparsed(String);

impl fmt::Display for Unparsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Failure for Unparsed {
    fn same_class(&self, _: &Self) -> bool {
        true
    }
}

/// Sends requests to one endpoint.
#[derive(Debug)]
pub struct HttpExporter {
    agent: ureq::Agent,
    url: String,
    headers: Vec<(String, String)>,
    timeout: Option<Duration>,
    responses: Report<Unparsed>,
}

impl HttpExporter {
    pub fn new(options: &OtlpOptions) -> HttpExporter {
        let builder = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(options.user_agent.as_str())
            .max_idle_connections(1)
            .max_idle_connections_per_host(1)
            .input_buffer_size(BUFFER_BYTES)
            .output_buffer_size(BUFFER_BYTES)
            .max_response_header_size(BUFFER_BYTES)
            // Chosen once at start by our rules (config::proxy), never ureq's own.
            .proxy(options.proxy.as_ref().map(|p| p.proxy.clone()));
        #[cfg(feature = "tls")]
        let builder = builder.tls_config(super::tls::tls_config(&options.tls));
        // Address literals without ureq's resolver thread (super::resolver).
        let agent = ureq::Agent::with_parts(
            builder.build(),
            ureq::unversioned::transport::DefaultConnector::default(),
            super::resolver::LiteralFirst::default(),
        );
        HttpExporter {
            agent,
            url: options.endpoint.url.clone(),
            headers: options.headers.clone(),
            timeout: options.timeout,
            responses: Report::new(""),
        }
    }

    /// POSTs `body` (in `format`), waiting at most the configured timeout and never longer
    /// than `budget` (the time left before the next tick is due).
    pub fn send(&mut self, body: &[u8], format: BodyFormat, budget: Duration) -> Outcome {
        let limit = self
            .timeout
            .map_or(budget, |t| t.min(budget))
            .max(Duration::from_millis(1));
        let mut request = self
            .agent
            .post(&self.url)
            .config()
            .timeout_global(Some(limit))
            .timeout_connect(Some(limit.min(MAX_CONNECT)))
            .build()
            .header("content-type", if format.json { JSON } else { PROTOBUF });
        if format.gzip {
            request = request.header("content-encoding", "gzip");
        }
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let mut response = match request.send(body) {
            Ok(response) => response,
            Err(e) => {
                let (error, detail) = describe_error(&e, limit);
                return Outcome::Retry {
                    error,
                    retry_after: None,
                    detail: format!("{}: {detail}", self.url),
                };
            }
        };
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let answer = match header("content-type") {
            Some(v) if v.starts_with(PROTOBUF) => Answer::Protobuf,
            Some(v) if v.starts_with(JSON) => Answer::Json,
            _ => Answer::Other,
        };
        let retry_after = header("retry-after");
        let location = header("location");
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec();
        if (200..300).contains(&status) {
            let now = Instant::now();
            let rejected = match body {
                Ok(bytes) => {
                    self.responses.succeeded(RESPONSE, now, "");
                    log_partial_success(&bytes, answer)
                }
                Err(e) => {
                    let detail = format!(
                        "{}: HTTP {status} accepted the request; response not parsed: {e}",
                        self.url
                    );
                    self.responses
                        .failed(log::Level::Warn, RESPONSE, Unparsed(detail), now);
                    0
                }
            };
            return Outcome::Sent { rejected };
        }
        let mut detail = format!("{}: HTTP {status}", self.url);
        let message = match body {
            Ok(bytes) => error_detail(&bytes, answer),
            Err(e) => format!("(body not read: {e})"),
        };
        if !message.is_empty() {
            detail.push_str(": ");
            detail.push_str(&message);
        }
        if let Some(location) = location.filter(|_| (300..400).contains(&status)) {
            detail.push_str(" (Location: ");
            detail.push_str(&excerpt(location.as_bytes()));
            detail.push(')');
        }
        if let Some(hint) = hint(status) {
            detail.push_str(" (");
            detail.push_str(hint);
            detail.push(')');
        }
        let error = ErrorType::Status(status);
        if RETRYABLE.contains(&status) {
            let retry_after = retry_after
                .as_deref()
                .and_then(|v| parse_retry_after(v, SystemTime::now()));
            Outcome::Retry {
                error,
                retry_after,
                detail,
            }
        } else {
            Outcome::Failed { error, detail }
        }
    }
}

/// The `error.type` and a line for the log of a failed exchange.
fn describe_error(error: &ureq::Error, limit: Duration) -> (ErrorType, String) {
    match error {
        ureq::Error::Timeout(which) => (
            ErrorType::Timeout,
            format!("timed out after {} ({which})", units::display(limit)),
        ),
        ureq::Error::HostNotFound => (
            ErrorType::Dns,
            "DNS lookup found no address for the endpoint host".to_string(),
        ),
        ureq::Error::Io(e) if is_tls_failure(e) => (
            ErrorType::Tls,
            format!(
                "TLS handshake failed: {e} (a board without a clock battery may have a wrong date: {})",
                clock_hint()
            ),
        ),
        ureq::Error::Io(e) => {
            let text = match e.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    "connection refused (is the collector listening?)".to_string()
                }
                std::io::ErrorKind::ConnectionReset => "connection reset by the server".to_string(),
                std::io::ErrorKind::UnexpectedEof => {
                    "connection closed before a response".to_string()
                }
                std::io::ErrorKind::TimedOut => {
                    return (ErrorType::Timeout, format!("timed out: {e}"));
                }
                _ => format!("network error: {e}"),
            };
            (ErrorType::Connection, text)
        }
        #[cfg(feature = "tls")]
        ureq::Error::Rustls(e) => (ErrorType::Tls, format!("TLS: {e} ({})", clock_hint())),
        #[cfg(feature = "tls")]
        ureq::Error::Tls(e) => (ErrorType::Tls, format!("TLS: {e}")),
        other => (ErrorType::Connection, other.to_string()),
    }
}

/// True when rustls failed the handshake (certificates, protocol): retried like network
/// failures, because RTC-less boards boot with a wrong clock (exporter spec §2.2).
#[cfg(feature = "tls")]
fn is_tls_failure(error: &std::io::Error) -> bool {
    error
        .get_ref()
        .is_some_and(|inner| inner.is::<rustls::Error>())
}

#[cfg(not(feature = "tls"))]
fn is_tls_failure(_: &std::io::Error) -> bool {
    false
}

/// The system date, for the hint on TLS failures.
fn clock_hint() -> String {
    let now = SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "the system time is {}",
        crate::logging::rfc3339(now.as_secs(), 0)
    )
}

/// Logs `partial_success` of a 2xx answer (rejected points are a WARN, a message alone INFO)
/// and returns the number of rejected points.
/// What a response body is, by its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Protobuf,
    Json,
    Other,
}

/// Logs a partial success; returns the data points the receiver rejected. The answer is
/// protobuf or, to a JSON request, OTLP/JSON (`{"partialSuccess": {"rejectedDataPoints":
/// "5", "errorMessage": "…"}}`); a body of another type is read as protobuf (receivers that
/// omit the header answer in the request's encoding, which is protobuf by default).
fn log_partial_success(body: &[u8], answer: Answer) -> u64 {
    let (rejected, message) = match answer {
        Answer::Json => json_partial_success(body),
        Answer::Protobuf | Answer::Other => ExportMetricsServiceResponse::decode(body)
            .ok()
            .and_then(|r| r.partial_success)
            .map(|p| {
                let rejected = u64::try_from(p.rejected_data_points).unwrap_or(0);
                (rejected, p.error_message)
            })
            .unwrap_or_default(),
    };
    if rejected > 0 {
        log::warn!(
            "receiver rejected {rejected} data points: {}",
            excerpt(message.as_bytes())
        );
    } else if !message.is_empty() {
        log::info!("receiver says: {}", excerpt(message.as_bytes()));
    }
    rejected
}

/// `partialSuccess` of an OTLP/JSON answer: int64 as a string (the JSON mapping) or a number.
fn json_partial_success(body: &[u8]) -> (u64, String) {
    let text = std::str::from_utf8(body).unwrap_or_default();
    let Ok(Json::Object(fields)) = json::parse(text) else {
        return (0, String::new());
    };
    let Some(Json::Object(partial)) = json::get(&fields, "partialSuccess") else {
        return (0, String::new());
    };
    let rejected = match json::get(partial, "rejectedDataPoints") {
        Some(Json::Number(n)) => *n,
        Some(Json::String(n)) => n.parse().unwrap_or(0),
        _ => 0,
    };
    let message = match json::get(partial, "errorMessage") {
        Some(Json::String(m)) => m.clone(),
        _ => String::new(),
    };
    (rejected, message)
}

/// The message of a `google.rpc.Status` body (protobuf or JSON), else an escaped excerpt of
/// the bytes.
fn error_detail(body: &[u8], answer: Answer) -> String {
    let message = match answer {
        Answer::Protobuf => Status::decode(body).map(|s| s.message).unwrap_or_default(),
        Answer::Json => match json::parse(std::str::from_utf8(body).unwrap_or_default()) {
            Ok(Json::Object(fields)) => match json::get(&fields, "message") {
                Some(Json::String(m)) => m.clone(),
                _ => String::new(),
            },
            _ => String::new(),
        },
        Answer::Other => String::new(),
    };
    if message.is_empty() {
        excerpt(body)
    } else {
        excerpt(message.as_bytes())
    }
}

/// The first 200 bytes, escaped so a server cannot inject lines or control characters.
fn excerpt(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(EXCERPT_BYTES)];
    let mut text = cut.escape_ascii().to_string();
    if bytes.len() > EXCERPT_BYTES {
        text.push('…');
    }
    text
}

fn hint(status: u16) -> Option<&'static str> {
    match status {
        401 | 403 => Some("check the authorization headers"),
        404 => Some("check the endpoint path; base endpoints get /v1/metrics appended"),
        300..=399 => Some("redirects are not followed; use the final URL"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_escaped_and_cut() {
        assert_eq!(excerpt(b"bad\nrequest\x00"), "bad\\nrequest\\x00");
        let long = vec![b'a'; 300];
        let text = excerpt(&long);
        assert_eq!(text.len(), 200 + '…'.len_utf8());
    }

    #[test]
    fn status_bodies_give_their_message() {
        let status = Status {
            code: 3,
            message: "metric name invalid".into(),
        };
        assert_eq!(
            error_detail(&status.encode_to_vec(), Answer::Protobuf),
            "metric name invalid"
        );
        assert_eq!(
            error_detail(
                br#"{"code": 3, "message": "metric name invalid"}"#,
                Answer::Json
            ),
            "metric name invalid"
        );
        assert_eq!(error_detail(b"plain text", Answer::Other), "plain text");
        assert_eq!(error_detail(b"{broken", Answer::Json), "{broken");
    }

    #[test]
    fn json_partial_success_takes_int64_as_string_or_number() {
        let answer = |body: &str| json_partial_success(body.as_bytes());
        assert_eq!(
            answer(
                r#"{"partialSuccess": {"rejectedDataPoints": "5", "errorMessage": "cumulative"}}"#
            ),
            (5, "cumulative".to_string())
        );
        assert_eq!(
            answer(r#"{"partialSuccess": {"rejectedDataPoints": 7}}"#),
            (7, String::new())
        );
        assert_eq!(answer("{}"), (0, String::new()));
        assert_eq!(answer("not json"), (0, String::new()));
        assert_eq!(
            log_partial_success(
                br#"{"partialSuccess":{"rejectedDataPoints":"2"}}"#,
                Answer::Json
            ),
            2
        );
    }
}
