//! `realtime`: a tiny channel server for tellwang's test Woks, and the probe
//! that health checks and the isolation check run inside containers.
//!
//! ```text
//! realtime serve                      listen on $REALTIME_PORT (default 4000)
//! realtime health                     exit 0 when the local server answers
//! realtime probe HOST:PORT [--expect TEXT] [--postgres] [--timeout-ms N]
//! ```
//!
//! The protocol is line-based text. On connect the server greets with
//! `tellwang-realtime wok=<TELLWANG_WOK>`, so a probe can tell *whose* service
//! it reached. A client then sends `JOIN <channel>`; every further line it
//! sends is delivered to the other members of that channel. `PING` answers
//! `PONG`. When `REALTIME_TOKEN` is set, `JOIN` must carry it:
//! `JOIN <channel> <token>`. The token is never printed.
//!
//! Probe exit status: 0 reached (and the expectation held), 1 not reached,
//! 2 reached something else, 64 usage error.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

const USAGE: &str =
    "usage: realtime serve | realtime health | realtime probe HOST:PORT [--expect TEXT] [--postgres] [--timeout-ms N]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("serve") => serve(),
        Some("health") => {
            let port = port();
            probe(&[format!("127.0.0.1:{port}"), "--expect".into(), "tellwang-realtime".into()])
        }
        Some("probe") => probe(&args[1..]),
        Some(_) => {
            eprintln!("{USAGE}");
            ExitCode::from(64)
        }
    }
}

fn port() -> u16 {
    std::env::var("REALTIME_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(4000)
}

type Members = Arc<Mutex<HashMap<String, Vec<(u64, TcpStream)>>>>;

fn serve() -> ExitCode {
    let listener = match TcpListener::bind(("0.0.0.0", port())) {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("realtime: cannot listen: {error}");
            return ExitCode::FAILURE;
        }
    };
    let wok = std::env::var("TELLWANG_WOK").unwrap_or_default();
    let token = std::env::var("REALTIME_TOKEN").ok().filter(|t| !t.is_empty());
    eprintln!("realtime: listening on port {} (token required: {})", port(), token.is_some());
    let members: Members = Arc::default();
    let shared = Arc::new((wok, token));
    for (id, stream) in listener.incoming().enumerate() {
        let Ok(stream) = stream else { continue };
        let members = Arc::clone(&members);
        let shared = Arc::clone(&shared);
        thread::spawn(move || {
            let _ = client(id as u64, stream, &shared.0, shared.1.as_deref(), &members);
        });
    }
    ExitCode::SUCCESS
}

fn client(id: u64, mut stream: TcpStream, wok: &str, token: Option<&str>, members: &Members) -> std::io::Result<()> {
    writeln!(stream, "tellwang-realtime wok={wok}")?;
    let mut joined: Option<String> = None;
    let reader = BufReader::new(stream.try_clone()?);
    for line in reader.lines() {
        let line = line?;
        let mut words = line.splitn(3, ' ');
        match (words.next(), &joined) {
            (Some("PING"), _) => writeln!(stream, "PONG")?,
            (Some("JOIN"), None) => {
                let channel = words.next().unwrap_or_default().to_owned();
                let given = words.next();
                if channel.is_empty() || (token.is_some() && given != token) {
                    writeln!(stream, "DENIED")?;
                    continue;
                }
                if let Ok(mut map) = members.lock() {
                    map.entry(channel.clone()).or_default().push((id, stream.try_clone()?));
                }
                writeln!(stream, "JOINED {channel}")?;
                joined = Some(channel);
            }
            (_, Some(channel)) => {
                if let Ok(mut map) = members.lock() {
                    for (other, peer) in map.get_mut(channel).into_iter().flatten() {
                        if *other != id {
                            let _ = writeln!(peer, "{line}");
                        }
                    }
                }
            }
            _ => writeln!(stream, "ERR join a channel first")?,
        }
    }
    if let (Some(channel), Ok(mut map)) = (joined, members.lock())
        && let Some(list) = map.get_mut(&channel)
    {
        list.retain(|(other, _)| *other != id);
    }
    Ok(())
}

fn probe(args: &[String]) -> ExitCode {
    let mut target = None;
    let mut expect = None;
    let mut postgres = false;
    let mut timeout = Duration::from_millis(1500);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--expect" => expect = it.next().cloned(),
            "--postgres" => postgres = true,
            "--timeout-ms" => match it.next().and_then(|n| n.parse().ok()) {
                Some(ms) => timeout = Duration::from_millis(ms),
                None => return usage(),
            },
            other if target.is_none() => target = Some(other.to_owned()),
            _ => return usage(),
        }
    }
    let Some(target) = target else { return usage() };
    let addrs: Vec<SocketAddr> = match target.to_socket_addrs() {
        Ok(addrs) => addrs.collect(),
        Err(error) => {
            println!("unreached {target}: does not resolve ({error})");
            return ExitCode::from(1);
        }
    };
    let mut stream = None;
    for addr in &addrs {
        if let Ok(s) = TcpStream::connect_timeout(addr, timeout) {
            stream = Some(s);
            break;
        }
    }
    let Some(mut stream) = stream else {
        println!("unreached {target}");
        return ExitCode::from(1);
    };
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    let answer = if postgres { postgres_hello(&mut stream) } else { banner(&mut stream) };
    match (answer, expect) {
        (Some(answer), Some(expect)) if !answer.contains(&expect) => {
            println!("reached {target}, other: {answer}");
            ExitCode::from(2)
        }
        (Some(answer), _) => {
            println!("reached {target}: {answer}");
            ExitCode::SUCCESS
        }
        (None, _) => {
            println!("reached {target}, no answer");
            ExitCode::from(2)
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(64)
}

fn banner(stream: &mut TcpStream) -> Option<String> {
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).ok()?;
    let line = line.trim_end().to_owned();
    (!line.is_empty()).then_some(line)
}

/// Sends a PostgreSQL StartupMessage and reads the first byte of the answer:
/// `R` (an authentication request) or `E` (an error) means a PostgreSQL
/// server is speaking.
fn postgres_hello(stream: &mut TcpStream) -> Option<String> {
    let user = std::env::var("PGUSER").unwrap_or_else(|_| "postgres".into());
    let mut body = Vec::new();
    body.extend_from_slice(&196_608u32.to_be_bytes()); // protocol 3.0
    body.extend_from_slice(b"user\0");
    body.extend_from_slice(user.as_bytes());
    body.push(0);
    body.push(0);
    let mut message = ((body.len() + 4) as u32).to_be_bytes().to_vec();
    message.extend_from_slice(&body);
    stream.write_all(&message).ok()?;
    let mut first = [0u8; 1];
    stream.read_exact(&mut first).ok()?;
    match first[0] {
        b'R' => Some("postgres (authentication requested)".into()),
        b'E' => Some("postgres (error response)".into()),
        other => Some(format!("not postgres (first byte {other:#04x})")),
    }
}
