//! `FlipProxy`: a loopback HTTP/1.1 forwarder in front of a real server that can change one byte in
//! the middle of every request body on its way (a faulty NIC, a bad middlebox), and records every
//! request head it forwarded. Answers are copied back untouched.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Result;

#[derive(Debug)]
pub struct FlipProxy {
    pub port: u16,
    /// While set, the byte in the middle of each request body is inverted.
    pub flip: Arc<AtomicBool>,
    heads: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl FlipProxy {
    /// Forwards `127.0.0.1:port` to `127.0.0.1:upstream`, flipping from the start.
    pub fn start(upstream: u16) -> Result<FlipProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let flip = Arc::new(AtomicBool::new(true));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (f, h, s) = (flip.clone(), heads.clone(), stop.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let (f, h) = (f.clone(), h.clone());
                std::thread::spawn(move || {
                    let _ = forward(client, upstream, &f, &h);
                });
            }
        });
        Ok(FlipProxy {
            port,
            flip,
            heads,
            stop,
        })
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The head (request line and headers, lower-cased names) of every request forwarded so far.
    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

impl Drop for FlipProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// One client connection: its requests one after another (a head, then `Content-Length` bytes of
/// body), the answers copied back on a thread of their own.
fn forward(
    client: TcpStream,
    upstream: u16,
    flip: &AtomicBool,
    heads: &Mutex<Vec<String>>,
) -> Result<()> {
    let mut server = TcpStream::connect(("127.0.0.1", upstream))?;
    let (mut back_from, mut back_to) = (server.try_clone()?, client.try_clone()?);
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut back_from, &mut back_to);
        let _ = back_to.shutdown(Shutdown::Write);
    });
    let mut reader = BufReader::new(client);
    loop {
        let mut head = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                let _ = server.shutdown(Shutdown::Write);
                return Ok(());
            }
            head.push_str(&line);
            if line == "\r\n" {
                break;
            }
        }
        let length = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body)?;
        if length > 0 && flip.load(Ordering::SeqCst) {
            body[length / 2] ^= 0xff;
        }
        heads.lock().unwrap().push(
            head.lines()
                .map(|l| match l.split_once(':') {
                    Some((n, v)) => format!("{}:{v}", n.to_ascii_lowercase()),
                    None => l.to_owned(),
                })
                .collect::<Vec<_>>()
                .join("\n"),
        );
        server.write_all(head.as_bytes())?;
        server.write_all(&body)?;
    }
}
