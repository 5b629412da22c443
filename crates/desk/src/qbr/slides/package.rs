//! The presentation's package: its fixed parts from `templates/pptx/`, its slides, charts,
//! workbooks and pictures, each with its content type and relationships, zipped.

use std::io::Write;

use zip::write::SimpleFileOptions;

use super::shapes::{self, rels};
use super::{s, Deck};
use crate::error::{DeskError, Result};

const THEME: &str = include_str!("../../../templates/pptx/theme.xml");
const MASTER: &str = include_str!("../../../templates/pptx/master.xml");
const LAYOUT: &str = include_str!("../../../templates/pptx/layout.xml");

/// The logo drawn as a PNG (for the applications that take no SVG), and its width per unit of
/// height.
pub(super) fn logo_png(svg: &str) -> Result<(Vec<u8>, f64)> {
    use resvg::{tiny_skia, usvg};
    let bad = |e: String| DeskError::InvalidInput {
        field: "logo",
        reason: e,
    };
    let tree =
        usvg::Tree::from_str(svg, &usvg::Options::default()).map_err(|e| bad(e.to_string()))?;
    let size = tree.size();
    let aspect = f64::from(size.width() / size.height().max(1.0));
    // 1.6 cm at 300 dpi.
    let height = 190.0_f32;
    let scale = height / size.height().max(1.0);
    let width = (size.width() * scale).ceil().max(1.0) as u32;
    let mut pixmap = tiny_skia::Pixmap::new(width, height as u32)
        .ok_or_else(|| bad("the logo has no size".into()))?;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let png = pixmap.encode_png().map_err(|e| bad(e.to_string()))?;
    Ok((png, aspect))
}

/// The package: every part zipped, with its content type and relationships.
pub(super) fn package(deck: &Deck<'_>) -> Result<Vec<u8>> {
    let zip_error = |e: zip::result::ZipError| DeskError::Io(std::io::Error::other(e));
    let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
    let mut add = |name: &str, body: Vec<u8>| parts.push((name.to_string(), body));
    let n = deck.slides.len();
    let mut overrides = vec![
        (
            "/ppt/presentation.xml",
            "presentationml.presentation.main+xml",
        ),
        (
            "/ppt/slideMasters/slideMaster1.xml",
            "presentationml.slideMaster+xml",
        ),
        (
            "/ppt/slideLayouts/slideLayout1.xml",
            "presentationml.slideLayout+xml",
        ),
        ("/ppt/theme/theme1.xml", "theme+xml"),
        ("/docProps/app.xml", "extended-properties+xml"),
    ]
    .into_iter()
    .map(|(part, kind)| {
        (
            part.to_string(),
            format!("application/vnd.openxmlformats-officedocument.{kind}"),
        )
    })
    .collect::<Vec<_>>();
    overrides.push((
        "/docProps/core.xml".into(),
        "application/vnd.openxmlformats-package.core-properties+xml".into(),
    ));
    for i in 1..=n {
        overrides.push((
            format!("/ppt/slides/slide{i}.xml"),
            "application/vnd.openxmlformats-officedocument.presentationml.slide+xml".into(),
        ));
    }
    for (name, _) in &deck.charts {
        overrides.push((
            format!("/ppt/charts/{name}"),
            "application/vnd.openxmlformats-officedocument.drawingml.chart+xml".into(),
        ));
    }
    let overrides: String = overrides
        .iter()
        .map(|(part, kind)| format!(r#"<Override PartName="{part}" ContentType="{kind}"/>"#))
        .collect();
    add(
        "[Content_Types].xml",
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Default Extension="svg" ContentType="image/svg+xml"/><Default Extension="xlsx" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"/>{overrides}</Types>"#
        )
        .into_bytes(),
    );
    add(
        "_rels/.rels",
        rels(&[
            (
                "rId1".into(),
                "officeDocument",
                "ppt/presentation.xml".into(),
            ),
            ("rId2".into(), "core-properties", "docProps/core.xml".into()),
            (
                "rId3".into(),
                "extended-properties",
                "docProps/app.xml".into(),
            ),
        ])
        .into_bytes(),
    );
    let d = deck.d;
    add(
        "docProps/core.xml",
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{}</dc:title><dc:creator>{}</dc:creator><dc:language>{}</dc:language></cp:coreProperties>"#,
            shapes::esc(&format!("{} {} {}", deck.l("title"), s(d, "quarter"), s(d, "partner"))),
            shapes::esc(s(d, "account_manager")),
            deck.lang
        )
        .into_bytes(),
    );
    add(
        "docProps/app.xml",
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Partner Desk</Application><Slides>{n}</Slides></Properties>"#
        )
        .into_bytes(),
    );
    let ids: String = (1..=n)
        .map(|i| format!(r#"<p:sldId id="{}" r:id="rId{}"/>"#, 255 + i, i + 2))
        .collect();
    add(
        "ppt/presentation.xml",
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<p:presentation xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:sldMasterIdLst><p:sldMasterId id="2147483648" r:id="rId1"/></p:sldMasterIdLst><p:sldIdLst>{ids}</p:sldIdLst><p:sldSz cx="12192000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/></p:presentation>"#
        )
        .into_bytes(),
    );
    let mut presentation = vec![
        (
            "rId1".to_string(),
            "slideMaster",
            "slideMasters/slideMaster1.xml".to_string(),
        ),
        ("rId2".to_string(), "theme", "theme/theme1.xml".to_string()),
    ];
    for i in 1..=n {
        presentation.push((
            format!("rId{}", i + 2),
            "slide",
            format!("slides/slide{i}.xml"),
        ));
    }
    add(
        "ppt/_rels/presentation.xml.rels",
        rels(&presentation).into_bytes(),
    );
    add(
        "ppt/theme/theme1.xml",
        THEME.replace("{{ACCENT}}", &deck.accent).into_bytes(),
    );
    add(
        "ppt/slideMasters/slideMaster1.xml",
        MASTER.as_bytes().to_vec(),
    );
    add(
        "ppt/slideMasters/_rels/slideMaster1.xml.rels",
        rels(&[
            (
                "rId1".into(),
                "slideLayout",
                "../slideLayouts/slideLayout1.xml".into(),
            ),
            ("rId2".into(), "theme", "../theme/theme1.xml".into()),
        ])
        .into_bytes(),
    );
    add(
        "ppt/slideLayouts/slideLayout1.xml",
        LAYOUT.as_bytes().to_vec(),
    );
    add(
        "ppt/slideLayouts/_rels/slideLayout1.xml.rels",
        rels(&[(
            "rId1".into(),
            "slideMaster",
            "../slideMasters/slideMaster1.xml".into(),
        )])
        .into_bytes(),
    );
    for (i, slide) in deck.slides.iter().enumerate() {
        add(
            &format!("ppt/slides/slide{}.xml", i + 1),
            slide.xml().into_bytes(),
        );
        add(
            &format!("ppt/slides/_rels/slide{}.xml.rels", i + 1),
            slide.rels_xml().into_bytes(),
        );
    }
    for (i, (name, chart)) in deck.charts.iter().enumerate() {
        let book = format!("Microsoft_Excel_Worksheet{}.xlsx", i + 1);
        add(
            &format!("ppt/charts/{name}"),
            chart.xml("rId1").into_bytes(),
        );
        add(
            &format!("ppt/charts/_rels/{name}.rels"),
            rels(&[("rId1".into(), "package", format!("../embeddings/{book}"))]).into_bytes(),
        );
        add(&format!("ppt/embeddings/{book}"), chart.workbook()?);
    }
    for (name, bytes) in &deck.media {
        add(&format!("ppt/media/{name}"), bytes.clone());
    }
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in parts {
        zip.start_file(name, SimpleFileOptions::default())
            .map_err(zip_error)?;
        zip.write_all(&body)?;
    }
    Ok(zip.finish().map_err(zip_error)?.into_inner())
}
