//! A changes page as the feed sends it, NDJSON: a header, changes in increasing `seq`, a trailer;
//! decoded in one pass, each change's row straight into its entity's type.

use std::borrow::Cow;

use program::contract::{Entity, FeedLine, Op, PageHeader};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{ApiError, Page, PageChange, Row};

/// One NDJSON line of a page, read in one pass whatever its kind: the fields of a change
/// borrowed from the body and its `data` kept raw, to be decoded straight into the entity's type
/// (`FeedLine` is internally tagged, which buffers every line and its `data` as a
/// `serde_json::Value` before the row's type is known). Headers and trailers, two lines a page,
/// are read again as `FeedLine`s so they keep the contract's exact rules.
#[derive(Deserialize)]
struct WireLine<'a> {
    #[serde(borrow)]
    line: Cow<'a, str>,
    seq: Option<u64>,
    /// Read as text: a kind this version does not know is skipped, not a broken page.
    #[serde(borrow)]
    entity: Option<Cow<'a, str>>,
    op: Option<Op>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    version: Option<u64>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
}

/// Splits an NDJSON page into header, changes and trailer, decoding each change's row. Anything
/// short of a header, changes in strictly increasing `seq` (each upsert with a row of its
/// entity's type) and a final trailer is refused whole.
pub fn parse_page(body: &[u8]) -> Result<Page, ApiError> {
    let mut header: Option<PageHeader> = None;
    let mut trailer = None;
    let mut changes: Vec<PageChange> = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    // The last seq read, skipped changes included: the order is checked across all of them.
    let mut last: Option<u64> = None;
    for (n, line) in body.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let bad_line = |e: serde_json::Error| ApiError::BadPage(format!("line {}: {e}", n + 1));
        if trailer.is_some() {
            return Err(ApiError::BadPage(format!(
                "line {} follows the trailer",
                n + 1
            )));
        }
        let wire: WireLine = serde_json::from_slice(line).map_err(bad_line)?;
        match wire.line.as_ref() {
            "change" => {
                let Some(h) = &header else {
                    return Err(ApiError::BadPage("a change before the header".into()));
                };
                let read = change_of(wire)
                    .map_err(|m| ApiError::BadPage(format!("line {}: {m}", n + 1)))?;
                let seq = match &read {
                    Read::Change(change) => change.seq,
                    Read::Unknown { seq, .. } => *seq,
                };
                let previous = last.unwrap_or(h.after);
                if seq <= previous {
                    return Err(ApiError::BadPage(format!(
                        "line {}: seq {seq} does not follow {previous}",
                        n + 1,
                    )));
                }
                last = Some(seq);
                match read {
                    Read::Change(change) => changes.push(change),
                    Read::Unknown { entity, .. } => {
                        if !skipped.contains(&entity) {
                            skipped.push(entity);
                        }
                    }
                }
            }
            _ => match serde_json::from_slice::<FeedLine>(line).map_err(bad_line)? {
                FeedLine::Header(h) if header.is_none() && changes.is_empty() => header = Some(h),
                FeedLine::Header(_) => {
                    return Err(ApiError::BadPage(format!(
                        "line {}: a second header",
                        n + 1
                    )))
                }
                FeedLine::Trailer(t) => trailer = Some(t),
                FeedLine::Change(_) => unreachable!("change lines are read above"),
            },
        }
    }
    let header = header.ok_or_else(|| ApiError::BadPage("no header".into()))?;
    let trailer = trailer.ok_or_else(|| ApiError::BadPage("the page has no trailer".into()))?;
    if trailer.next < last.unwrap_or(header.after) {
        return Err(ApiError::BadPage(
            "the trailer's cursor goes backwards".into(),
        ));
    }
    Ok(Page {
        header,
        changes,
        trailer,
        bytes: body.len(),
        skipped,
    })
}

/// A change line read: a change of a kind this version knows, or the kind and seq of one it
/// does not.
#[expect(
    clippy::large_enum_variant,
    reason = "returned and moved out at once, a million times a sync: no box per change"
)]
enum Read {
    Change(PageChange),
    Unknown { seq: u64, entity: String },
}

/// A change line's fields, its row decoded; or why the line is unreadable.
fn change_of(wire: WireLine<'_>) -> Result<Read, String> {
    let missing = |field: &str| format!("a change without its {field}");
    let seq = wire.seq.ok_or_else(|| missing("seq"))?;
    let name = wire.entity.ok_or_else(|| missing("entity"))?;
    let Some(entity) = Entity::parse(&name) else {
        return Ok(Read::Unknown {
            seq,
            entity: name.chars().take(64).collect(),
        });
    };
    let op = wire.op.ok_or_else(|| missing("op"))?;
    let id = wire.id.ok_or_else(|| missing("id"))?.into_owned();
    let version = wire.version.ok_or_else(|| missing("version"))?;
    let row = match op {
        Op::Delete => None,
        Op::Upsert => {
            let data = wire
                .data
                .ok_or_else(|| format!("upsert of {} {id} without data", entity.as_str()))?;
            Some(
                Row::decode(entity, data.get())
                    .map_err(|e| format!("{} {id}: {e}", entity.as_str()))?,
            )
        }
    };
    Ok(Read::Change(PageChange {
        seq,
        entity,
        op,
        id,
        version,
        row,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_without_its_trailer_is_refused() {
        let body = b"{\"line\":\"header\",\"after\":0,\"head\":2}\n\
{\"line\":\"change\",\"seq\":1,\"entity\":\"partner\",\"op\":\"delete\",\"id\":\"x\",\"version\":2}\n";
        assert!(matches!(parse_page(body), Err(ApiError::BadPage(m)) if m.contains("trailer")));
    }

    #[test]
    fn a_malformed_line_refuses_the_page() {
        let body = b"{\"line\":\"header\",\"after\":0,\"head\":2}\n{oops\n\
{\"line\":\"trailer\",\"next\":2,\"has_more\":false,\"checksums\":[]}\n";
        assert!(matches!(parse_page(body), Err(ApiError::BadPage(m)) if m.contains("line 2")));
    }

    #[test]
    fn changes_out_of_order_refuse_the_page() {
        let body = b"{\"line\":\"header\",\"after\":5,\"head\":9}\n\
{\"line\":\"change\",\"seq\":4,\"entity\":\"partner\",\"op\":\"delete\",\"id\":\"x\",\"version\":2}\n\
{\"line\":\"trailer\",\"next\":9,\"has_more\":false,\"checksums\":[]}\n";
        assert!(parse_page(body).is_err());
    }

    #[test]
    fn a_change_of_a_kind_this_version_does_not_know_is_skipped_not_fatal() {
        let body = b"{\"line\":\"header\",\"after\":0,\"head\":3}\n\
{\"line\":\"change\",\"seq\":1,\"entity\":\"hologram\",\"op\":\"upsert\",\"id\":\"h\",\"version\":1,\"data\":{\"any\":1}}\n\
{\"line\":\"change\",\"seq\":2,\"entity\":\"partner\",\"op\":\"delete\",\"id\":\"x\",\"version\":2}\n\
{\"line\":\"change\",\"seq\":3,\"entity\":\"hologram\",\"op\":\"delete\",\"id\":\"h\",\"version\":2}\n\
{\"line\":\"trailer\",\"next\":3,\"has_more\":false,\"checksums\":[]}\n";
        let page = parse_page(body).unwrap();
        assert_eq!(page.changes.len(), 1);
        assert_eq!(page.changes[0].seq, 2);
        assert_eq!(page.skipped, ["hologram"]);
        assert_eq!(page.trailer.next, 3);
        // Skipped or not, the order of seq still holds.
        let out_of_order = b"{\"line\":\"header\",\"after\":0,\"head\":3}\n\
{\"line\":\"change\",\"seq\":2,\"entity\":\"hologram\",\"op\":\"delete\",\"id\":\"h\",\"version\":1}\n\
{\"line\":\"change\",\"seq\":2,\"entity\":\"partner\",\"op\":\"delete\",\"id\":\"x\",\"version\":2}\n\
{\"line\":\"trailer\",\"next\":2,\"has_more\":false,\"checksums\":[]}\n";
        assert!(parse_page(out_of_order).is_err());
    }

    #[test]
    fn a_whole_page_parses() {
        let body = b"{\"line\":\"header\",\"after\":0,\"head\":2}\n\
{\"line\":\"change\",\"seq\":2,\"entity\":\"partner\",\"op\":\"delete\",\"id\":\"x\",\"version\":2}\n\
{\"line\":\"trailer\",\"next\":2,\"has_more\":false,\"checksums\":[]}\n";
        let page = parse_page(body).unwrap();
        assert_eq!(page.changes.len(), 1);
        assert_eq!(page.trailer.next, 2);
    }

    /// A page as the reference server writes it: partners and customers upserted, one deleted.
    fn real_page() -> Vec<u8> {
        use program::contract::Entity;
        let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let data = central_api::demo::generate(&central_api::demo::DemoConfig::with_deployments(
            as_of, 20,
        ));
        let mut lines = vec![r#"{"line":"header","after":0,"head":9}"#.to_string()];
        let rows = data
            .partners
            .iter()
            .take(3)
            .map(|p| (Entity::Partner, p.id.to_string(), serde_json::to_string(p)))
            .chain(
                data.customers
                    .iter()
                    .take(3)
                    .map(|c| (Entity::Customer, c.id.to_string(), serde_json::to_string(c))),
            );
        for (seq, (entity, id, json)) in (1..).zip(rows) {
            lines.push(format!(
                r#"{{"line":"change","seq":{seq},"entity":"{}","op":"upsert","id":"{id}","version":1,"data":{}}}"#,
                entity.as_str(),
                json.unwrap()
            ));
        }
        lines.push(
            r#"{"line":"change","seq":8,"entity":"partner","op":"delete","id":"x","version":2}"#
                .into(),
        );
        lines.push(r#"{"line":"trailer","next":9,"has_more":false,"checksums":[]}"#.into());
        (lines.join("\n") + "\n").into_bytes()
    }

    #[test]
    fn the_page_the_fuzzing_damages_is_whole_to_begin_with() {
        let page = parse_page(&real_page()).unwrap();
        assert_eq!(page.changes.len(), 7);
        assert_eq!(page.trailer.next, 9);
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config { cases: 500, ..Default::default() })]

        /// Bytes of any kind: refused or read, never a panic.
        #[test]
        fn any_bytes_are_refused_or_read_never_a_panic(
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..4_096)
        ) {
            let _ = parse_page(&body);
        }

        /// A real page with a byte changed, a cut, or a line lost or doubled: what is accepted
        /// still has its trailer and its changes in order.
        #[test]
        fn a_damaged_page_is_refused_or_whole_never_a_panic(
            at in proptest::prelude::any::<proptest::sample::Index>(),
            byte in proptest::prelude::any::<u8>(),
            damage in 0..4u8,
        ) {
            let mut body = real_page();
            let i = at.index(body.len());
            match damage {
                0 => body[i] = byte,
                1 => body.truncate(i),
                _ => {
                    let mut lines: Vec<Vec<u8>> =
                        body.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
                    let line = at.index(lines.len());
                    if damage == 2 {
                        lines.remove(line);
                    } else {
                        let copy = lines[line].clone();
                        lines.insert(line, copy);
                    }
                    body = lines.join(&b'\n');
                }
            }
            if let Ok(page) = parse_page(&body) {
                proptest::prop_assert!(page.changes.windows(2).all(|w| w[0].seq < w[1].seq));
            }
        }
    }
}
