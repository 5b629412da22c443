//! Telling prospects apart: company names and domains made comparable, [`Prospect`], and the
//! no-poaching rule that compares a prospect with the customers partners already serve.

use unicode_normalization::UnicodeNormalization;

use crate::entities::{Customer, CustomerId, PartnerId};

/// A prospect's company name made comparable: accents, case, punctuation and legal-form words
/// ("Inc.", "S.A. de C.V.", "GmbH", …) removed, spaces collapsed. "Café Águila, S.A." and
/// "cafe aguila" are the same prospect.
pub fn normalize_company(name: &str) -> String {
    const LEGAL_FORMS: &[&str] = &[
        "inc",
        "incorporated",
        "llc",
        "ltd",
        "limited",
        "corp",
        "corporation",
        "co",
        "company",
        "sa",
        "sas",
        "sl",
        "slu",
        "srl",
        "sapi",
        "de",
        "cv",
        "ltda",
        "gmbh",
        "ag",
        "bv",
        "nv",
        "plc",
        "spa",
        "sarl",
        "oy",
        "ab",
        "as",
        "eireli",
        "me",
    ];
    let plain: String = name
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_lowercase().next().unwrap_or(c)
            } else if c == '.' {
                // "S.A." is one word.
                '\0'
            } else {
                ' '
            }
        })
        .filter(|c| *c != '\0')
        .collect();
    let words: Vec<&str> = plain.split_whitespace().collect();
    // Legal forms are dropped only at the end ("Co Group" keeps its "Co").
    let mut end = words.len();
    while end > 1 && LEGAL_FORMS.contains(&words[end - 1]) {
        end -= 1;
    }
    words[..end].join(" ")
}

/// A domain made comparable: no scheme, no `www.`, no path, no port, lower case.
/// `https://WWW.Acme.com/about` → `acme.com`.
pub fn normalize_domain(domain: &str) -> Option<String> {
    let d = domain.trim().to_lowercase();
    let d = d.split_once("://").map_or(d.as_str(), |(_, rest)| rest);
    let d = d.split(['/', '?', '#']).next().unwrap_or("");
    let d = d.rsplit_once('@').map_or(d, |(_, host)| host);
    let d = d.split(':').next().unwrap_or("");
    let d = d.strip_prefix("www.").unwrap_or(d).trim_end_matches('.');
    (!d.is_empty() && d.contains('.')).then(|| d.to_string())
}

/// A prospect as the duplicate rule compares them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prospect {
    pub company: String,
    pub domain: Option<String>,
}

impl Prospect {
    pub fn new(company: &str, domain: Option<&str>) -> Prospect {
        Prospect {
            company: normalize_company(company),
            domain: domain.and_then(normalize_domain),
        }
    }

    /// Same normalized company name, or same domain.
    pub fn same_as(&self, other: &Prospect) -> bool {
        (!self.company.is_empty() && self.company == other.company)
            || (self.domain.is_some() && self.domain == other.domain)
    }
}

/// A customer as the no-poaching rule sees it: who serves it, and the keys a prospect is compared
/// by (the duplicate rule's: normalized company name and web domain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownCustomer {
    pub id: CustomerId,
    /// The partner of record.
    pub partner_id: PartnerId,
    pub prospect: Prospect,
}

impl KnownCustomer {
    pub fn of(c: &Customer) -> KnownCustomer {
        KnownCustomer {
            id: c.id,
            partner_id: c.partner_id,
            prospect: Prospect::new(&c.name, c.domain.as_deref()),
        }
    }
}

/// Whose customer a prospect already is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServedBy {
    /// The partner asking: it serves the customer already.
    You,
    /// Another partner: the customer changes partner only by a migration its founder starts.
    Another,
}

/// No poaching: whether `prospect` is already a customer, and whose, among `customers` (the ones
/// the caller knows: every customer on the platform, a laptop's cache on a laptop). When a
/// prospect matches customers of both, it is `partner`'s own.
pub fn served_by(
    prospect: &Prospect,
    partner: PartnerId,
    customers: &[KnownCustomer],
) -> Option<ServedBy> {
    let mut found = None;
    for c in customers.iter().filter(|c| c.prospect.same_as(prospect)) {
        if c.partner_id == partner {
            return Some(ServedBy::You);
        }
        found = Some(ServedBy::Another);
    }
    found
}
