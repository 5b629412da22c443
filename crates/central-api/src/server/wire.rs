//! A connection's bytes on their way out, with hyper's own error answers made problem documents.
//!
//! hyper answers a request it cannot read (a malformed request line or header, headers too large,
//! an unsupported version) itself, before any handler sees it, with a head and no body, and then
//! closes the connection. It has no hook for that answer. Every other error this server sends
//! carries a problem document (`edge::problems`), so an error head with `content-length: 0` can
//! only be hyper's: [`ProblemIo`] writes it with a problem document instead, keeping its status
//! and its other headers.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use axum::http::StatusCode;
use hyper::rt::{Read, ReadBufCursor, Write};
use program::contract::ProblemCode;

use super::problem::{ApiError, PROBLEM_JSON};

/// An I/O object whose error heads without a body are written as problem documents.
pub(super) struct ProblemIo<T> {
    io: T,
    /// A rewritten answer being written in place of the head hyper gave: its bytes and how many
    /// are out. hyper is told its head was written once all of it is.
    pending: Option<(Vec<u8>, usize)>,
}

impl<T> ProblemIo<T> {
    pub(super) fn new(io: T) -> ProblemIo<T> {
        ProblemIo { io, pending: None }
    }
}

impl<T: Write + Unpin> ProblemIo<T> {
    /// Writes what is left of a rewritten answer.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, out)) = &mut self.pending {
            if *out == bytes.len() {
                self.pending = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &bytes[*out..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *out += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: Read + Unpin> Read for ProblemIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<T: Write + Unpin> Write for ProblemIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.pending.is_none() {
            match problem_for(buf) {
                Some(answer) => this.pending = Some((answer, 0)),
                None => return Pin::new(&mut this.io).poll_write(cx, buf),
            }
        }
        ready!(this.poll_pending(cx))?;
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        // A head is written on its own; a body never starts like one (see `problem_for`).
        let first = bufs.iter().find(|b| !b.is_empty());
        match first {
            Some(head) if this.pending.is_some() || problem_for(head).is_some() => {
                Pin::new(this).poll_write(cx, head)
            }
            _ => Pin::new(&mut this.io).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

/// The answer to write instead of `head`, if `head` is a whole HTTP/1.1 error head announcing an
/// empty body. Bodies are never mistaken for one: this server's bodies are JSON (which escapes
/// line breaks), HTML, or chunks, none of which starts with `HTTP/1.1 ` and ends in a blank line.
fn problem_for(head: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(head.strip_prefix(b"HTTP/1.1 ")?).ok()?;
    let text = text.strip_suffix("\r\n\r\n")?;
    let mut lines = text.split("\r\n");
    let status = StatusCode::from_bytes(lines.next()?.get(..3)?.as_bytes()).ok()?;
    if !(status.is_client_error() || status.is_server_error()) {
        return None;
    }
    let headers: Vec<&str> = lines.collect();
    let empty = headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("content-length: 0"));
    if !empty {
        return None;
    }
    let detail = match status {
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "the request's headers are too large",
        StatusCode::URI_TOO_LONG => "the request's URI is too long",
        StatusCode::HTTP_VERSION_NOT_SUPPORTED => "this server speaks HTTP/1.1",
        _ => "the request is not valid HTTP/1.1",
    };
    let code = if status.is_server_error() {
        ProblemCode::Internal
    } else {
        ProblemCode::BadRequest
    };
    let body =
        serde_json::to_vec(&ApiError::new(status, code, detail).problem()).expect("serializes");
    let reason = status.canonical_reason().unwrap_or("Error");
    let mut answer = format!("HTTP/1.1 {} {reason}\r\n", status.as_u16());
    for h in headers.iter().filter(|h| {
        let name = h.split(':').next().unwrap_or_default();
        !name.eq_ignore_ascii_case("content-length") && !name.eq_ignore_ascii_case("content-type")
    }) {
        answer.push_str(h);
        answer.push_str("\r\n");
    }
    answer.push_str(&format!(
        "content-type: {PROBLEM_JSON}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    ));
    let mut answer = answer.into_bytes();
    answer.extend_from_slice(&body);
    Some(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_whole_error_head_without_a_body_is_rewritten() {
        let hypers = b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\
            date: Mon, 07 Dec 2026 02:21:56 GMT\r\n\r\n";
        let answer = String::from_utf8(problem_for(hypers).unwrap()).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert_eq!(
            head,
            format!(
                "HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\
                 date: Mon, 07 Dec 2026 02:21:56 GMT\r\ncontent-type: {PROBLEM_JSON}\r\n\
                 content-length: {}",
                body.len()
            )
        );
        let p: program::contract::Problem = serde_json::from_str(body).unwrap();
        assert_eq!((p.status, p.code), (400, ProblemCode::BadRequest));

        for kept in [
            &b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"[..],
            b"HTTP/1.1 304 Not Modified\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 90\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n",
            b"{\"code\":\"HTTP/1.1 400\"}",
            b"",
        ] {
            assert_eq!(problem_for(kept), None, "{}", String::from_utf8_lossy(kept));
        }
    }
}
