//! A partner's logo: an SVG document the platform keeps with the partner and the review deck
//! places on its title slide.
//!
//! It travels to every laptop in the partner's scope and is typeset there, so it must be small,
//! self-contained and inert: one `<svg>` element of at most [`MAX_LOGO_BYTES`], no script, no
//! embedded foreign document, and no reference to anything outside itself (a `href` may only
//! point into the document, `#id`, or carry a `data:image/…` of its own).

use thiserror::Error;

/// The largest logo the platform keeps, in bytes of SVG.
pub const MAX_LOGO_BYTES: usize = 32 * 1024;

const SVG_NAMESPACE: &str = "http://www.w3.org/2000/svg";

/// Why an SVG is not a logo the program keeps.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LogoError {
    #[error("a logo is at most {MAX_LOGO_BYTES} bytes of SVG; this one is {0}")]
    TooLarge(usize),
    #[error("a logo is an SVG document: {0}")]
    NotXml(String),
    #[error("a logo is an SVG document: its root is <{0}>, not <svg>")]
    NotSvg(String),
    #[error("a logo may not hold <{0}>")]
    Forbidden(String),
    #[error("a logo may not refer to anything outside itself ({0})")]
    External(String),
}

/// Checks that `svg` is a logo the program keeps.
pub fn check_logo(svg: &str) -> Result<(), LogoError> {
    if svg.len() > MAX_LOGO_BYTES {
        return Err(LogoError::TooLarge(svg.len()));
    }
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(svg, options)
        .map_err(|e| LogoError::NotXml(e.to_string()))?;
    let root = doc.root_element();
    if root.tag_name().name() != "svg" || root.tag_name().namespace() != Some(SVG_NAMESPACE) {
        return Err(LogoError::NotSvg(root.tag_name().name().to_string()));
    }
    for node in doc.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        if node.tag_name().namespace() != Some(SVG_NAMESPACE)
            || ["script", "foreignObject", "iframe"].contains(&name)
        {
            return Err(LogoError::Forbidden(name.to_string()));
        }
        for attr in node.attributes() {
            let value = attr.value().trim();
            let refers = attr.name() == "href" && !value.starts_with('#');
            let inline_image = value.starts_with("data:image/");
            let url = value.contains("url(") && !value.contains("url(#");
            if (refers && !inline_image) || url || attr.name().starts_with("on") {
                return Err(LogoError::External(format!("{}=\"{value}\"", attr.name())));
            }
        }
        if name == "style"
            && node
                .text()
                .is_some_and(|t| t.contains("url(") || t.contains("@import"))
        {
            return Err(LogoError::External("<style> with url()".into()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARK: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40"><defs><linearGradient id="g"><stop offset="0" stop-color="#0a5"/></linearGradient></defs><circle cx="20" cy="20" r="18" fill="url(#g)"/><use href="#g"/></svg>"##;

    #[test]
    fn a_logo_is_a_small_self_contained_svg() {
        assert_eq!(check_logo(MARK), Ok(()));
        let inline = r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><image xlink:href="data:image/png;base64,iVBORw0KGgo="/></svg>"#;
        assert_eq!(check_logo(inline), Ok(()));
    }

    #[test]
    fn a_logo_that_is_no_svg_or_too_large_is_refused() {
        assert!(matches!(check_logo("not xml"), Err(LogoError::NotXml(_))));
        assert!(matches!(check_logo("<html/>"), Err(LogoError::NotSvg(_))));
        // An <svg> outside SVG's namespace is not one.
        assert!(matches!(check_logo("<svg/>"), Err(LogoError::NotSvg(_))));
        let big = MARK.replace(
            "</svg>",
            &format!("<desc>{}</desc></svg>", "x".repeat(MAX_LOGO_BYTES)),
        );
        assert!(matches!(check_logo(&big), Err(LogoError::TooLarge(_))));
        let dtd = r#"<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>"#;
        assert!(matches!(check_logo(dtd), Err(LogoError::NotXml(_))));
    }

    #[test]
    fn a_logo_that_runs_code_or_reaches_outside_itself_is_refused() {
        let svg = |body: &str| {
            format!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">{body}</svg>"#
            )
        };
        for body in [
            "<script>alert(1)</script>",
            r#"<foreignObject><div xmlns="http://www.w3.org/1999/xhtml"/></foreignObject>"#,
            r#"<image href="https://tracker.example/a.png"/>"#,
            r#"<image xlink:href="file:///etc/passwd"/>"#,
            r#"<use href="other.svg#mark"/>"#,
            r#"<rect fill="url(https://x.example/p)"/>"#,
            r#"<rect onclick="x()"/>"#,
            "<style>@import 'https://x.example/a.css';</style>",
        ] {
            let result = check_logo(&svg(body));
            assert!(
                matches!(
                    result,
                    Err(LogoError::Forbidden(_) | LogoError::External(_))
                ),
                "{body}: {result:?}"
            );
        }
    }
}
