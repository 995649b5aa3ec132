//! https, mTLS and proxies (exporter spec §2.5, §2.6; §7 tests 15 and 16), loopback only.
//!
//! Certificates are made by each test with rcgen; the https server is rustls over a std
//! `TcpListener`, answering `HTTP/1.1 200` with an empty body; the proxy is a small `CONNECT`
//! tunnel that reports each request line and forwards bytes to the target. ureq 3 reaches an
//! http proxy with `CONNECT` for http and https endpoints alike, so both are tunnelled.

use crate::util::agent::send_once;
use crate::util::receiver::{Receiver, Reply, Request, read_request};
use crate::util::stderr_of;
use std::io::{BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

/// Runs `--once` on a fixture against `endpoint` with `extra` flags and `vars`.
fn once(endpoint: &str, extra: &[&str], vars: &[(&str, &str)]) -> (Option<i32>, String) {
    let out = send_once(endpoint, "x86_64-vm", extra, vars);
    (out.status.code(), stderr_of(&out))
}

/// A `CONNECT` proxy on 127.0.0.1:0: each request line is reported, then bytes flow both
/// ways to the named target until either side closes.
struct Tunnel {
    addr: SocketAddr,
    requests: mpsc::Receiver<Request>,
}

impl Tunnel {
    fn start() -> Tunnel {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, requests) = mpsc::channel();
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let tx = tx.clone();
                thread::spawn(move || tunnel(client, &tx));
            }
        });
        Tunnel { addr, requests }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn next(&self, limit: Duration) -> Option<Request> {
        self.requests.recv_timeout(limit).ok()
    }
}

fn tunnel(client: TcpStream, tx: &mpsc::Sender<Request>) {
    client.set_read_timeout(Some(WAIT)).unwrap();
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let Some(request) = read_request(&mut reader) else {
        return;
    };
    let target = (request.method == "CONNECT").then(|| request.path.clone());
    let _ = tx.send(request);
    let Some(Ok(target)) = target.map(TcpStream::connect) else {
        let _ = (&client).write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
        return;
    };
    (&client)
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .unwrap();
    target.set_read_timeout(Some(WAIT)).unwrap();
    let (mut up_from, mut up_to) = (reader, target.try_clone().unwrap());
    let upstream = thread::spawn(move || {
        let _ = std::io::copy(&mut up_from, &mut up_to);
        let _ = up_to.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut &target, &mut &client);
    let _ = client.shutdown(Shutdown::Write);
    let _ = upstream.join();
}

#[test]
fn http_proxy_tunnels_an_http_endpoint() {
    let receiver = Receiver::start(vec![Reply::ok()]);
    let proxy = Tunnel::start();
    let (code, stderr) = once(
        &receiver.base_url(),
        &["--log-level", "debug"],
        &[("HTTP_PROXY", &proxy.url())],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let connect = proxy.next(WAIT).expect("the proxy is asked");
    let target = receiver.base_url().replace("http://", "");
    assert_eq!(
        (connect.method.as_str(), connect.path.as_str()),
        ("CONNECT", target.as_str())
    );
    let request = receiver.next(WAIT).expect("delivered through the tunnel");
    assert_eq!(request.path, "/v1/metrics");
    assert!(
        stderr.contains(&format!("proxy={}", proxy.addr)),
        "the start line names the proxy: {stderr}"
    );
}

#[test]
fn no_proxy_sends_the_endpoint_host_direct() {
    let receiver = Receiver::start(vec![Reply::ok()]);
    let proxy = Tunnel::start();
    let (code, stderr) = once(
        &receiver.base_url(),
        &[],
        &[
            ("HTTP_PROXY", &proxy.url()),
            ("NO_PROXY", "localhost,127.0.0.1"),
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(receiver.next(WAIT).is_some());
    assert!(proxy.next(Duration::from_millis(100)).is_none());
}

#[test]
fn https_proxy_is_not_used_for_an_http_endpoint() {
    let receiver = Receiver::start(vec![Reply::ok()]);
    let proxy = Tunnel::start();
    let (code, stderr) = once(
        &receiver.base_url(),
        &[],
        &[("HTTPS_PROXY", &proxy.url()), ("https_proxy", &proxy.url())],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(receiver.next(WAIT).is_some());
    assert!(proxy.next(Duration::from_millis(100)).is_none());
}

#[test]
fn a_malformed_applicable_proxy_exits_2_naming_it() {
    for (name, value, needle) in [
        ("HTTP_PROXY", "socks5://127.0.0.1:1080", "SOCKS"),
        ("http_proxy", "http://127.0.0.1:99999", "port"),
        ("ALL_PROXY", "http://a b", "proxy URL"),
    ] {
        let (code, stderr) = once("http://127.0.0.1:9", &[], &[(name, value)]);
        assert_eq!(code, Some(2), "{name}={value}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains(name) && stderr.contains(needle),
            "{name}: {stderr}"
        );
    }
    // The same value where it does not apply (https variable, http endpoint) is ignored.
    let receiver = Receiver::start(vec![Reply::ok()]);
    let (code, stderr) = once(
        &receiver.base_url(),
        &[],
        &[("HTTPS_PROXY", "socks5://127.0.0.1:1080")],
    );
    assert_eq!(code, Some(0), "{stderr}");
}

#[cfg(feature = "tls")]
mod https {
    use super::*;
    use rcgen::{
        BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    };
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use rustls::server::WebPkiClientVerifier;
    use rustls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    /// A CA that signs leaves for 127.0.0.1 (server) or a client.
    struct Ca {
        cert: rcgen::Certificate,
        issuer: Issuer<'static, KeyPair>,
    }

    /// A signed certificate with its key.
    struct Leaf {
        cert: rcgen::Certificate,
        key: KeyPair,
    }

    impl Ca {
        fn new(name: &str) -> Ca {
            let key = KeyPair::generate().unwrap();
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, name);
            let cert = params.self_signed(&key).unwrap();
            Ca {
                cert,
                issuer: Issuer::new(params, key),
            }
        }

        fn leaf(&self, name: &str, usage: ExtendedKeyUsagePurpose) -> Leaf {
            let key = KeyPair::generate().unwrap();
            let mut params = CertificateParams::new(vec![name.to_string()]).unwrap();
            params.extended_key_usages = vec![usage];
            let cert = params.signed_by(&key, &self.issuer).unwrap();
            Leaf { cert, key }
        }

        fn roots(&self) -> Arc<RootCertStore> {
            let mut roots = RootCertStore::empty();
            roots.add(self.cert.der().clone()).unwrap();
            Arc::new(roots)
        }
    }

    fn provider() -> Arc<rustls::crypto::CryptoProvider> {
        Arc::new(rustls::crypto::ring::default_provider())
    }

    /// A server certificate for 127.0.0.1; with `clients`, client certificates of that CA
    /// are required.
    fn server_config(server: &Leaf, clients: Option<&Ca>) -> ServerConfig {
        let builder = ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(rustls::ALL_VERSIONS)
            .unwrap();
        let builder = match clients {
            Some(ca) => builder.with_client_cert_verifier(
                WebPkiClientVerifier::builder_with_provider(ca.roots(), provider())
                    .build()
                    .unwrap(),
            ),
            None => builder.with_no_client_auth(),
        };
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server.key.serialize_der()));
        builder
            .with_single_cert(vec![CertificateDer::from(server.cert.der().to_vec())], key)
            .unwrap()
    }

    /// What the server saw on one connection: a request, or why the handshake failed.
    type Seen = Result<Request, String>;

    /// An https receiver on 127.0.0.1:0 answering every request `200` with no body.
    struct TlsServer {
        addr: SocketAddr,
        seen: mpsc::Receiver<Seen>,
    }

    impl TlsServer {
        fn start(config: ServerConfig) -> TlsServer {
            let config = Arc::new(config);
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let (tx, seen) = mpsc::channel();
            thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { return };
                    let (config, tx) = (Arc::clone(&config), tx.clone());
                    thread::spawn(move || serve(stream, config, &tx));
                }
            });
            TlsServer { addr, seen }
        }

        fn url(&self) -> String {
            format!("https://{}", self.addr)
        }

        fn next(&self) -> Option<Seen> {
            self.seen.recv_timeout(WAIT).ok()
        }
    }

    fn serve(tcp: TcpStream, config: Arc<ServerConfig>, tx: &mpsc::Sender<Seen>) {
        tcp.set_read_timeout(Some(WAIT)).unwrap();
        let conn = ServerConnection::new(config).unwrap();
        let mut tls = StreamOwned::new(conn, tcp);
        while tls.conn.is_handshaking() {
            if let Err(e) = tls.conn.complete_io(&mut tls.sock) {
                let _ = tx.send(Err(e.to_string()));
                return;
            }
        }
        let mut reader = BufReader::new(&mut tls);
        let Some(request) = read_request(&mut reader) else {
            let _ = tx.send(Err("no request after the handshake".into()));
            return;
        };
        let tls = reader.into_inner();
        let _ = tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
        let _ = tls.flush();
        let _ = tx.send(Ok(request));
    }

    /// `name` in `dir` holding `text` (mode 0600, as a key should be).
    fn file(dir: &Path, name: &str, text: &str) -> String {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path.to_str().unwrap().to_string()
    }

    fn dir(name: &str) -> PathBuf {
        crate::util::scratch(name)
    }

    #[test]
    fn a_custom_ca_delivers() {
        let ca = Ca::new("test CA");
        let server = TlsServer::start(server_config(
            &ca.leaf("127.0.0.1", ExtendedKeyUsagePurpose::ServerAuth),
            None,
        ));
        let ca_file = file(&dir("custom-ca"), "ca.pem", &ca.cert.pem());
        let (code, stderr) = once(&server.url(), &["--tls-ca", &ca_file], &[]);
        assert_eq!(code, Some(0), "{stderr}");
        let request = server.next().expect("a connection").expect("a request");
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("POST", "/v1/metrics")
        );
        assert!(stderr.contains(&format!("tls-ca={ca_file}")), "{stderr}");
    }

    #[test]
    fn an_unknown_ca_fails_the_run_naming_the_certificate() {
        let server = TlsServer::start(server_config(
            &Ca::new("server CA").leaf("127.0.0.1", ExtendedKeyUsagePurpose::ServerAuth),
            None,
        ));
        let other = file(
            &dir("unknown-ca"),
            "other.pem",
            &Ca::new("other").cert.pem(),
        );
        // The bundled roots, then a CA file that replaces them: neither trusts the server.
        for extra in [vec![], vec!["--tls-ca", other.as_str()]] {
            let (code, stderr) = once(&server.url(), &extra, &[]);
            assert_eq!(code, Some(1), "{extra:?}: {stderr}");
            assert!(
                stderr.contains("certificate") && stderr.contains("UnknownIssuer"),
                "{extra:?}: {stderr}"
            );
            let seen = server.next().expect("a connection");
            assert!(seen.is_err(), "{seen:?}");
        }
    }

    #[test]
    fn insecure_skip_verify_delivers_to_an_unknown_ca_and_warns() {
        let server = TlsServer::start(server_config(
            &Ca::new("lab CA").leaf("127.0.0.1", ExtendedKeyUsagePurpose::ServerAuth),
            None,
        ));
        let (code, stderr) = once(&server.url(), &["--tls-insecure-skip-verify"], &[]);
        assert_eq!(code, Some(0), "{stderr}");
        assert!(server.next().expect("a connection").is_ok());
        assert!(
            stderr.contains("WARN --tls-insecure-skip-verify: the certificate of"),
            "{stderr}"
        );
    }

    #[test]
    fn mtls_delivers_with_the_client_certificate_and_fails_without() {
        let ca = Ca::new("mTLS CA");
        let server = TlsServer::start(server_config(
            &ca.leaf("127.0.0.1", ExtendedKeyUsagePurpose::ServerAuth),
            Some(&ca),
        ));
        let client = ca.leaf("sysotlp", ExtendedKeyUsagePurpose::ClientAuth);
        let d = dir("mtls");
        let ca_file = file(&d, "ca.pem", &ca.cert.pem());
        let cert = file(&d, "client.pem", &client.cert.pem());
        let key = file(&d, "client.key", &client.key.serialize_pem());
        let vars = [
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca_file.as_str()),
            ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", cert.as_str()),
            ("OTEL_EXPORTER_OTLP_CLIENT_KEY", key.as_str()),
        ];
        let (code, stderr) = once(&server.url(), &[], &vars);
        assert_eq!(code, Some(0), "{stderr}");
        assert!(server.next().expect("a connection").is_ok());

        // The server really demands a certificate: without one the run fails.
        let (code, stderr) = once(&server.url(), &[], &vars[..1]);
        assert_eq!(code, Some(1), "{stderr}");
        let seen = server.next().expect("a connection").unwrap_err();
        assert!(seen.contains("no certificates"), "{seen}");
    }

    #[test]
    fn unusable_tls_files_exit_2_naming_the_path() {
        let ca = Ca::new("CA");
        let client = ca.leaf("sysotlp", ExtendedKeyUsagePurpose::ClientAuth);
        let stranger = ca.leaf("stranger", ExtendedKeyUsagePurpose::ClientAuth);
        let d = dir("unusable");
        let directory = d.join("ca.d");
        std::fs::create_dir(&directory).unwrap();
        let directory = directory.to_str().unwrap();
        let empty = file(&d, "empty.pem", "");
        let cert = file(&d, "client.pem", &client.cert.pem());
        let wrong_key = file(&d, "stranger.key", &stranger.key.serialize_pem());
        for (args, path, problem) in [
            (vec!["--tls-ca", directory], directory, "Is a directory"),
            (vec!["--tls-ca", &empty], &empty, "no certificate"),
            (
                vec!["--tls-cert", &cert, "--tls-key", &wrong_key],
                &wrong_key,
                "rustls rejects this key",
            ),
            (vec!["--tls-cert", &cert], &cert, "needs its key"),
        ] {
            let (code, stderr) = once("https://127.0.0.1:9", &args, &[]);
            assert_eq!(code, Some(2), "{args:?}: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
            assert!(
                stderr.contains(&format!("\"{path}\"")) && stderr.contains(problem),
                "{args:?}: {stderr}"
            );
        }
    }

    #[test]
    fn https_proxy_tunnels_an_https_endpoint() {
        let ca = Ca::new("proxied CA");
        let server = TlsServer::start(server_config(
            &ca.leaf("127.0.0.1", ExtendedKeyUsagePurpose::ServerAuth),
            None,
        ));
        let proxy = Tunnel::start();
        let ca_file = file(&dir("proxied"), "ca.pem", &ca.cert.pem());
        let (code, stderr) = once(
            &server.url(),
            &["--tls-ca", &ca_file],
            &[
                ("HTTPS_PROXY", &proxy.url()),
                ("HTTP_PROXY", "http://127.0.0.1:9"),
            ],
        );
        assert_eq!(code, Some(0), "{stderr}");
        let connect = proxy.next(WAIT).expect("the proxy is asked");
        assert_eq!(
            (connect.method.as_str(), connect.path),
            ("CONNECT", server.addr.to_string())
        );
        assert!(server.next().expect("a connection").is_ok());
    }
}
