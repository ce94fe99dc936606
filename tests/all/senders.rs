//! Who may send to `aiir serve`: bearer tokens bound to sources, mutual TLS, and no
//! open ingest off loopback; driven with the OpenTelemetry Python exporters' own header
//! and TLS settings (`OTEL_EXPORTER_OTLP_HEADERS`, `…_CERTIFICATE`, `…_CLIENT_KEY`,
//! `…_CLIENT_CERTIFICATE`), certificates made by `openssl`.

use crate::serve::Server;
use crate::support::{aiir, root, test_python};
use serde_json::Value;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A config running two built-in detectors, with `serve` as its `[serve]` tables.
fn config(dir: &Path, serve: &str) -> PathBuf {
    let text = format!("[[detector]]\nname = \"prompt-injection\"\n[[detector]]\nname = \"tool-abuse\"\n{serve}");
    let path = dir.join("aiir.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Where send_spans.py sends: OTLP/HTTP protobuf at this base URL.
fn http(base: &str) -> Vec<String> {
    vec!["--endpoint".into(), format!("{base}/v1/traces")]
}

/// Where send_spans.py sends: OTLP/gRPC at this base URL.
fn grpc(base: &str) -> Vec<String> {
    ["--encoding", "grpc", "--endpoint", base].map(String::from).to_vec()
}

/// tests/otel/send_spans.py to `to` ([`http`], [`grpc`]) with these environment
/// variables: the span ids by name, or what it said when the export failed.
fn send<K: AsRef<OsStr>, V: AsRef<OsStr>>(
    to: &[String],
    env: impl IntoIterator<Item = (K, V)>,
) -> Result<Value, String> {
    let out = Command::new(test_python())
        .arg(root().join("tests/otel/send_spans.py"))
        .args(to)
        // `requests` lets these override the exporter's own CA file (its issue 3829).
        .env_remove("REQUESTS_CA_BUNDLE")
        .env_remove("CURL_CA_BUNDLE")
        .envs(env)
        .output()
        .unwrap();
    match out.status.success() {
        true => Ok(serde_json::from_slice(&out.stdout).unwrap()),
        false => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
    }
}

pub fn sha256_hex(text: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn injection_found(run: &crate::support::Run, ids: &Value) -> bool {
    run.event_rules()
        .iter()
        .any(|(event, rule)| event == ids["injection"].as_str().unwrap() && rule == "prompt-injection/direct")
}

/// Whether every finding is on a span of these exports.
fn only_from(run: &crate::support::Run, exports: &[&Value]) -> bool {
    let ids: Vec<&str> =
        exports.iter().flat_map(|e| e.as_object().unwrap().values().filter_map(Value::as_str)).collect();
    run.event_rules().iter().all(|(event, _)| ids.contains(&event.as_str()))
}

#[test]
fn a_token_sends_only_as_its_own_sources_and_no_token_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (shop, other) = ("shop-token-1", "other-token-2");
    let serve = format!(
        "[[serve.sender]]\nname = \"shop\"\ntoken_sha256 = \"{}\"\nsources = [\"otel-test-*\"]\n\
         [[serve.sender]]\nname = \"other\"\ntoken_sha256 = \"{}\"\nsources = [\"other-app\"]\n",
        sha256_hex(shop),
        sha256_hex(other)
    );
    let config = config(dir.path(), &serve);
    let server = Server::start(&["--config", config.to_str().unwrap()]);
    let (endpoint, grpc_endpoint) = (http(&server.endpoint()), grpc(&server.grpc_endpoint()));
    let bearer = |t: &str| [("OTEL_EXPORTER_OTLP_HEADERS", format!("Authorization=Bearer%20{t}"))];
    assert!(send(&endpoint, [("NO_TOKEN", "")]).is_err(), "no token: refused");
    assert!(send(&endpoint, bearer("wrong")).is_err());
    assert!(send(&grpc_endpoint, bearer("wrong")).is_err(), "gRPC: UNAUTHENTICATED");
    let as_other = send(&endpoint, bearer(other)).unwrap_or_else(|e| panic!("accepted, spans rejected: {e}"));
    let as_shop = send(&endpoint, bearer(shop)).unwrap_or_else(|e| panic!("accepted: {e}"));
    let over_grpc = send(&grpc_endpoint, bearer(shop)).unwrap_or_else(|e| panic!("accepted over gRPC: {e}"));
    let (status, body) = server.request("POST /v1/traces HTTP/1.1\r\nContent-Type: application/json\r\n", b"{}");
    assert_eq!(status, 401);
    assert!(body.contains(r#""code":16"#), "UNAUTHENTICATED: {body}");
    let text = server.metrics_when(|t| t.contains(r#"aiir_events_rejected_total{format="otlp-protobuf"} 4"#));
    assert!(text.contains(r#"aiir_http_requests_total{route="/v1/traces",status="401"} 3"#), "{text}");
    let run = server.stop();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(injection_found(&run, &as_shop) && injection_found(&run, &over_grpc), "{}", run.stdout);
    assert!(!injection_found(&run, &as_other), "a token cannot send as another token's source: {}", run.stdout);
    assert!(only_from(&run, &[&as_shop, &over_grpc]), "only the shop's exports reached the detectors: {}", run.stdout);
}

/// `openssl` with these arguments in `dir`.
fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl").current_dir(dir).args(args).output().expect("cannot run openssl");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// `NAME.pem` and `NAME.key` for `cn`, signed by `ca` (self-signed when `None`).
fn certificate(dir: &Path, name: &str, cn: &str, ca: Option<&str>, extensions: &str) {
    let (key, csr, pem) = (format!("{name}.key"), format!("{name}.csr"), format!("{name}.pem"));
    let subject = format!("/CN={cn}");
    let ext = format!("{name}.ext");
    std::fs::write(dir.join(&ext), extensions).unwrap();
    let new_key =
        ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", &key, "-subj", &subject];
    match ca {
        None => openssl(
            dir,
            &[&["req", "-x509"][..], &new_key, &["-out", &pem, "-days", "2", "-addext", extensions]].concat(),
        ),
        Some(ca) => {
            openssl(dir, &[&["req"][..], &new_key, &["-out", &csr]].concat());
            let (ca_pem, ca_key) = (format!("{ca}.pem"), format!("{ca}.key"));
            openssl(
                dir,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &csr,
                    "-CA",
                    &ca_pem,
                    "-CAkey",
                    &ca_key,
                    "-CAcreateserial",
                    "-out",
                    &pem,
                    "-days",
                    "2",
                    "-extfile",
                    &ext,
                ],
            )
        }
    };
}

fn fingerprint(dir: &Path, pem: &str) -> String {
    let text = openssl(dir, &["x509", "-in", pem, "-noout", "-fingerprint", "-sha256"]);
    text.trim().rsplit('=').next().unwrap().to_owned()
}

#[test]
fn mutual_tls_admits_the_pinned_client_certificate_only() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    certificate(d, "ca", "aiir test CA", None, "basicConstraints=critical,CA:TRUE");
    certificate(d, "server", "127.0.0.1", Some("ca"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    certificate(d, "client", "batch-jobs", Some("ca"), "extendedKeyUsage=clientAuth\n");
    certificate(d, "other", "batch-jobs", Some("ca"), "extendedKeyUsage=clientAuth\n");
    certificate(d, "rogue", "batch-jobs", None, "extendedKeyUsage=clientAuth");
    let serve = format!(
        "[serve.tls]\ncert = \"server.pem\"\nkey = \"server.key\"\nclient_ca = \"ca.pem\"\n\
         [[serve.sender]]\nname = \"batch-jobs\"\ncertificate_sha256 = \"{}\"\nsources = [\"*\"]\n",
        fingerprint(d, "client.pem")
    );
    let config = config(d, &serve);
    let server = Server::start(&["--config", config.to_str().unwrap()]);
    let https = http(&server.endpoint().replace("http://", "https://"));
    let grpcs = grpc(&server.grpc_endpoint().replace("http://", "https://"));
    let path = |f: &str| d.join(f).to_str().unwrap().to_owned();
    let ca = path("ca.pem");
    let with = |name: &str| {
        [
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca.clone()),
            ("OTEL_EXPORTER_OTLP_CLIENT_KEY", path(&format!("{name}.key"))),
            ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", path(&format!("{name}.pem"))),
        ]
    };
    let admitted = send(&https, with("client")).unwrap_or_else(|e| panic!("the pinned certificate is admitted: {e}"));
    let over_grpc = send(&grpcs, with("client")).unwrap_or_else(|e| panic!("and over gRPC: {e}"));
    assert!(send(&grpcs, with("rogue")).is_err(), "gRPC: not signed by the CA: no handshake");
    assert!(send(&https, with("other")).is_err(), "signed by the CA but pinned by no sender: 401");
    assert!(send(&https, with("rogue")).is_err(), "not signed by the CA: no handshake");
    assert!(send(&https, [("OTEL_EXPORTER_OTLP_CERTIFICATE", &ca)]).is_err(), "no certificate, no token: 401");
    let run = server.stop();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(injection_found(&run, &admitted) && injection_found(&run, &over_grpc), "{}", run.stdout);
    assert!(
        only_from(&run, &[&admitted, &over_grpc]),
        "only the admitted exports reached the detectors: {}",
        run.stdout
    );
}

#[test]
fn off_loopback_an_open_ingest_refuses_to_start() {
    let run = aiir(&root(), &["serve", "--no-store", "--listen", "0.0.0.0:0"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("refusing to listen on 0.0.0.0:0"), "{}", run.stderr);
    assert!(run.stderr.contains("[[serve.sender]]"), "{}", run.stderr);
    let dir = tempfile::tempdir().unwrap();
    let serve = format!(
        "[serve]\nmetrics = \"senders\"\n[[serve.sender]]\nname = \"a\"\ntoken_sha256 = \"{}\"\nsources = [\"*\"]\n",
        sha256_hex("t")
    );
    let config = config(dir.path(), &serve);
    let server = Server::start(&["--config", config.to_str().unwrap(), "--listen", "0.0.0.0:0"]);
    assert_eq!(server.get("/metrics").0, 401, "metrics = \"senders\": a credential is needed");
    assert_eq!(server.request("GET /healthz HTTP/1.1\r\nAuthorization: Bearer t\r\n", b"").0, 200);
    let run = server.stop();
    assert_eq!(run.code, 0, "{}", run.stderr);
}
