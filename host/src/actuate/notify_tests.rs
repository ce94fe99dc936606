//! The notifier against a real HTTP server on loopback: a tokio listener that reads
//! each request whole and answers the next status of its script.

use super::*;
use std::time::Instant;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// One request as the server read it.
#[derive(Debug)]
struct Received {
    head: String,
    body: String,
}

/// A server on an ephemeral loopback port that answers one connection per status in
/// `script`, then stops; what it read comes out of the channel.
async fn server(script: Vec<u16>) -> (u16, mpsc::UnboundedReceiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        for status in script {
            let (stream, _) = listener.accept().await.unwrap();
            let received = answer(stream, status).await;
            tx.send(received).unwrap();
        }
    });
    (port, rx)
}

async fn answer(stream: TcpStream, status: u16) -> Received {
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        if line == "\r\n" || line.is_empty() {
            break;
        }
        head.push_str(&line);
    }
    let length = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").map(|n| n.trim().parse().unwrap()))
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.unwrap();
    let response = format!("HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
    reader.get_mut().write_all(response.as_bytes()).await.unwrap();
    Received { head, body: String::from_utf8(body).unwrap() }
}

fn notifier(allow: &str) -> Notifier {
    Notifier { backoff: Duration::from_millis(20), ..Notifier::new(vec![allow.to_owned()]) }
}

const BODY: &str = r#"{"incident":"INC-0001","severity":"high"}"#;

#[tokio::test]
async fn posts_the_exact_json() {
    let (port, mut received) = server(vec![204]).await;
    let url = format!("http://127.0.0.1:{port}/hooks/aiir?channel=ops");
    let delivered = notifier("127.0.0.1").post(&url, BODY).await.unwrap();
    assert_eq!(delivered, Delivered { status: 204, attempts: 1 });
    let request = received.recv().await.unwrap();
    assert_eq!(request.body, BODY);
    assert!(request.head.starts_with("POST /hooks/aiir?channel=ops HTTP/1.1\r\n"), "{}", request.head);
    let head = request.head.to_ascii_lowercase();
    assert!(head.contains("content-type: application/json\r\n"), "{head}");
    assert!(head.contains(&format!("host: 127.0.0.1:{port}\r\n")), "{head}");
}

#[tokio::test]
async fn retries_after_a_503() {
    let (port, mut received) = server(vec![503, 200]).await;
    let url = format!("http://127.0.0.1:{port}/");
    let delivered = notifier(&format!("127.0.0.1:{port}")).post(&url, BODY).await.unwrap();
    assert_eq!(delivered, Delivered { status: 200, attempts: 2 });
    assert_eq!(received.recv().await.unwrap().body, BODY);
    assert_eq!(received.recv().await.unwrap().body, BODY);
}

#[tokio::test]
async fn a_4xx_is_not_retried() {
    let (port, _received) = server(vec![404]).await;
    let url = format!("http://127.0.0.1:{port}/nowhere");
    let err = notifier("127.0.0.1").post(&url, BODY).await.unwrap_err();
    assert_eq!(err.to_string(), format!("POST {url} was refused with 404 Not Found (not retried)"));
}

#[tokio::test]
async fn a_server_that_is_down_fails_clearly_and_soon() {
    // A socket bound but never listening refuses connections, and holding it keeps a
    // parallel test's server from taking the port (a closed port could be reused).
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = socket.local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/hook");
    let started = Instant::now();
    let err = notifier("127.0.0.1").post(&url, BODY).await.unwrap_err();
    assert_eq!(err.to_string(), format!("POST {url} failed after 3 attempt(s): connection refused"));
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_host_off_the_allow_list_is_refused_without_connecting() {
    let (port, mut received) = server(vec![200]).await;
    let url = format!("http://127.0.0.1:{port}/hook");
    // The right host on another port, another host, and an empty list.
    for allow in [format!("127.0.0.1:{}", port.wrapping_add(1)), "localhost".into()] {
        let err = notifier(&allow).post(&url, BODY).await.unwrap_err();
        let expected =
            format!("cannot notify {url}: 127.0.0.1:{port} is not on the allow-list (allow_hosts = [{allow:?}])");
        assert_eq!(err.to_string(), expected);
    }
    let err = Notifier::default().check(&url).unwrap_err();
    assert!(err.to_string().ends_with("(allow_hosts is empty)"), "{err}");
    assert!(received.try_recv().is_err(), "the server was reached");
}

#[test]
fn urls_other_than_http_and_bodies_other_than_json_are_refused() {
    let n = notifier("hooks.example.com");
    let reason = |url: &str| match n.check(url).unwrap_err() {
        NotifyError::BadUrl { reason, .. } => reason,
        other => panic!("{other:?}"),
    };
    assert_eq!(n.check("https://hooks.example.com/x"), Ok(()));
    assert_eq!(reason("ftp://hooks.example.com/x"), "only http:// and https:// URLs are supported");
    assert_eq!(reason("/relative"), "only http:// and https:// URLs are supported");
    assert!(reason("http://user:pw@hooks.example.com/").contains("passwords"));
    assert_eq!(n.check("http://HOOKS.example.com:8080/x"), Ok(()));
    let bad_body = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(n.post("http://hooks.example.com/x", "{not json"));
    assert!(matches!(bad_body, Err(NotifyError::BadBody { .. })), "{bad_body:?}");
}
