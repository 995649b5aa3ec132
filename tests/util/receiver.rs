//! A scripted OTLP/HTTP receiver on 127.0.0.1:0, std only.
//!
//! Each request is parsed (request line, headers, `Content-Length` body), reported over a
//! channel, and answered with the next scripted `Reply` (the last one repeats). `Hang`
//! holds the connection open without answering until the receiver is dropped; `Decide`
//! answers as a function of the request (a backend's ingest rules, tests/backends.rs).

use prost::Message;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;
use sysotlp::otlp::{ExportMetricsServiceRequest, Status};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The status it was answered with (0: unanswered).
    pub answered: u16,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as a protobuf request (gunzipped first when `content-encoding: gzip`).
    pub fn message(&self) -> ExportMetricsServiceRequest {
        let body = if self.header("content-encoding") == Some("gzip") {
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(&self.body[..])
                .read_to_end(&mut plain)
                .expect("gunzip");
            plain
        } else {
            self.body.clone()
        };
        ExportMetricsServiceRequest::decode(&body[..]).expect("valid protobuf")
    }
}

/// How to answer a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Status, content type and body.
    Answer(u16, &'static str, Vec<u8>),
    /// Read the request, never answer.
    Hang,
    /// Read the request, close the connection unanswered (EOF before a response).
    Close,
    /// Status and one extra response header (e.g. `Retry-After`).
    AnswerWith(u16, &'static str, String),
    /// Status and a body cut mid-way: `content-length` says twice its length, then the
    /// connection closes.
    Cut(u16, Vec<u8>),
    /// The reply this function gives the request (it never returns `Decide`).
    Decide(fn(&Request) -> Reply),
}

impl Reply {
    pub fn ok() -> Reply {
        Reply::Answer(200, "application/x-protobuf", Vec::new())
    }

    /// HTTP `status` with a protobuf `google.rpc.Status` body of `code` and `message`.
    pub fn status(status: u16, code: i32, message: &str) -> Reply {
        let body = Status {
            code,
            message: message.into(),
        };
        Reply::Answer(status, "application/x-protobuf", body.encode_to_vec())
    }
}

pub struct Receiver {
    addr: SocketAddr,
    requests: mpsc::Receiver<Request>,
    stop: Arc<AtomicBool>,
    script: Arc<Script>,
}

impl Receiver {
    pub fn start(script: Vec<Reply>) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let (tx, requests) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let script = Arc::new(Mutex::new((script, 0usize)));
        let script_handle = Arc::clone(&script);
        let stop_flag = Arc::clone(&stop);
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stop_flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (tx, script, stop_flag) =
                    (tx.clone(), Arc::clone(&script), Arc::clone(&stop_flag));
                thread::spawn(move || serve(stream, &tx, &script, &stop_flag));
            }
        });
        Receiver {
            addr,
            requests,
            stop,
            script: script_handle,
        }
    }

    /// Replaces the script: the next request gets the first of `replies`.
    pub fn set_script(&self, replies: Vec<Reply>) {
        let mut guard = self.script.lock().expect("script lock");
        *guard = (replies, 0);
    }

    /// `http://127.0.0.1:<port>` (a base endpoint).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next request, or `None` after `limit`.
    pub fn next(&self, limit: Duration) -> Option<Request> {
        self.requests.recv_timeout(limit).ok()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so the thread ends.
        let _ = TcpStream::connect(self.addr);
    }
}

type Script = Mutex<(Vec<Reply>, usize)>;

fn serve(stream: TcpStream, tx: &mpsc::Sender<Request>, script: &Script, stop: &AtomicBool) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut writer = match stream.try_clone() {
        Ok(writer) => writer,
        Err(_) => return,
    };
    let mut reader = BufReader::new(stream);
    while let Some(mut request) = read_request(&mut reader) {
        let mut reply = {
            let mut guard = script.lock().expect("script lock");
            let (replies, next) = &mut *guard;
            let reply = replies
                .get(*next)
                .or(replies.last())
                .cloned()
                .unwrap_or_else(Reply::ok);
            *next += 1;
            reply
        };
        if let Reply::Decide(decide) = reply {
            reply = decide(&request);
        }
        request.answered = match &reply {
            Reply::Answer(status, ..) | Reply::AnswerWith(status, ..) | Reply::Cut(status, _) => {
                *status
            }
            Reply::Hang | Reply::Close | Reply::Decide(_) => 0,
        };
        if tx.send(request).is_err() {
            return;
        }
        let (status, extra, body) = match reply {
            Reply::Answer(status, content_type, body) => {
                (status, format!("content-type: {content_type}\r\n"), body)
            }
            Reply::AnswerWith(status, name, value) => {
                (status, format!("{name}: {value}\r\n"), Vec::new())
            }
            Reply::Cut(status, body) => {
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/x-protobuf\r\ncontent-length: {}\r\n\r\n",
                    body.len() * 2
                );
                let _ = writer
                    .write_all(head.as_bytes())
                    .and_then(|()| writer.write_all(&body));
                return;
            }
            Reply::Close | Reply::Decide(_) => return,
            Reply::Hang => {
                while !stop.load(Ordering::SeqCst) {
                    thread::sleep(Duration::from_millis(20));
                }
                return;
            }
        };
        let head = format!(
            "HTTP/1.1 {status} X\r\n{extra}content-length: {}\r\n\r\n",
            body.len()
        );
        if writer
            .write_all(head.as_bytes())
            .and_then(|()| writer.write_all(&body))
            .is_err()
        {
            return;
        }
    }
}

/// One HTTP/1.1 request (request line, headers, `Content-Length` body) from any stream.
pub fn read_request(reader: &mut impl BufRead) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        headers,
        body,
        answered: 0,
    })
}
