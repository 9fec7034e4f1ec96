//! A DNS server for the live nginx check, standing in for Docker's embedded one
//! (127.0.0.11): it answers A queries for the names it is told, and the answers can
//! change while nginx runs — as they do when compose recreates a container.
//!
//! Just enough of RFC 1035 for nginx's resolver: one question per query, A records in
//! the answer, NXDOMAIN for unknown names, an empty answer for other types.

use std::collections::HashMap;
use std::net::{Ipv4Addr, UdpSocket};
use std::sync::{Arc, Mutex, PoisonError};

type Zone = Arc<Mutex<HashMap<String, Vec<Ipv4Addr>>>>;

#[derive(Debug)]
pub struct Dns {
    port: u16,
    zone: Zone,
}

impl Dns {
    /// Starts answering on a free UDP port of 127.0.0.1, on a thread of its own that
    /// lives as long as the test process.
    pub fn start() -> std::io::Result<Self> {
        let socket = UdpSocket::bind("127.0.0.1:0")?;
        let port = socket.local_addr()?.port();
        let zone = Zone::default();
        let answers = zone.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            while let Ok((n, from)) = socket.recv_from(&mut buf) {
                if let Some(reply) = answer(&buf[..n], &answers) {
                    let _ = socket.send_to(&reply, from);
                }
            }
        });
        Ok(Self { port, zone })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// From now on `name` resolves to `addresses`.
    pub fn set(&self, name: &str, addresses: &[Ipv4Addr]) {
        self.zone
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_ascii_lowercase(), addresses.to_vec());
    }
}

/// The reply to one query, or `None` for a packet that is not one.
fn answer(query: &[u8], zone: &Zone) -> Option<Vec<u8>> {
    if query.len() < 12 || query[4..6] != [0, 1] {
        return None;
    }
    // The question: labels up to the zero byte, then type and class.
    let mut at = 12;
    let mut labels = Vec::new();
    loop {
        let len = usize::from(*query.get(at)?);
        at += 1;
        if len == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(query.get(at..at + len)?).to_ascii_lowercase());
        at += len;
    }
    let qtype = u16::from_be_bytes([*query.get(at)?, *query.get(at + 1)?]);
    let question_end = at + 4;
    let question = query.get(12..question_end)?;
    let name = labels.join(".");
    let addresses = zone
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&name)
        .cloned();
    let records: Vec<Ipv4Addr> = match (&addresses, qtype) {
        (Some(a), 1) => a.clone(),
        _ => Vec::new(),
    };
    let mut reply = Vec::with_capacity(512);
    reply.extend_from_slice(&query[0..2]); // id
    let rcode = if addresses.is_none() { 3 } else { 0 }; // NXDOMAIN : NOERROR
    reply.extend_from_slice(&[0x81 | (query[2] & 0x01), 0x80 | rcode]); // QR, RD, RA
    reply.extend_from_slice(&[0, 1]); // one question
    let count = u16::try_from(records.len()).ok()?;
    reply.extend_from_slice(&count.to_be_bytes());
    reply.extend_from_slice(&[0, 0, 0, 0]); // no authority, no additional
    reply.extend_from_slice(question);
    for address in records {
        reply.extend_from_slice(&[0xc0, 12]); // the name: a pointer to the question's
        reply.extend_from_slice(&[0, 1, 0, 1]); // type A, class IN
        reply.extend_from_slice(&1u32.to_be_bytes()); // TTL 1 s
        reply.extend_from_slice(&[0, 4]);
        reply.extend_from_slice(&address.octets());
    }
    Some(reply)
}
