//! One slide's shapes as PresentationML: text boxes, tables, rectangles, pictures and chart
//! frames, each placed in EMU (360,000 to the centimetre) and sized in points.

/// EMU in a centimetre and in a point.
pub const CM: i64 = 360_000;
pub const PT: i64 = 12_700;

/// The height of a table's row of text at `size` points, in EMU.
pub fn row_height(size: u32) -> i64 {
    (i64::from(size) * 2 + 4) * PT
}

/// Text with the five characters XML reserves escaped.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters have no place in XML 1.0 text.
            c if c.is_control() && c != '\t' && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

/// Where a shape sits, in EMU.
#[derive(Clone, Copy)]
pub struct Frame {
    pub x: i64,
    pub y: i64,
    pub w: i64,
    pub h: i64,
}

impl Frame {
    pub fn cm(x: f64, y: f64, w: f64, h: f64) -> Frame {
        let emu = |v: f64| (v * CM as f64).round() as i64;
        Frame {
            x: emu(x),
            y: emu(y),
            w: emu(w),
            h: emu(h),
        }
    }

    fn xfrm(&self, tag: &str) -> String {
        format!(
            r#"<{tag}><a:off x="{}" y="{}"/><a:ext cx="{}" cy="{}"/></{tag}>"#,
            self.x, self.y, self.w, self.h
        )
    }
}

/// A run of text: its size in points, bold or not, its colour (RRGGBB) or the text's.
#[derive(Clone)]
pub struct Run {
    pub text: String,
    pub size: u32,
    pub bold: bool,
    pub color: Option<String>,
}

impl Run {
    pub fn new(text: impl Into<String>, size: u32) -> Run {
        Run {
            text: text.into(),
            size,
            bold: false,
            color: None,
        }
    }

    pub fn bold(mut self) -> Run {
        self.bold = true;
        self
    }

    pub fn color(mut self, rgb: &str) -> Run {
        self.color = Some(rgb.to_string());
        self
    }
}

/// A paragraph: its runs, a bullet or not, its alignment ("l", "r", "ctr").
#[derive(Clone)]
pub struct Para {
    pub runs: Vec<Run>,
    pub bullet: bool,
    pub align: &'static str,
}

impl Para {
    pub fn of(run: Run) -> Para {
        Para {
            runs: vec![run],
            bullet: false,
            align: "l",
        }
    }

    pub fn bullet(run: Run) -> Para {
        Para {
            bullet: true,
            ..Para::of(run)
        }
    }
}

/// A table: its columns' `widths` in EMU and alignment, a header row, rows of cells at `size`
/// points.
pub struct Table<'a> {
    pub name: &'a str,
    pub at: (i64, i64),
    pub widths: &'a [i64],
    pub align: &'a [&'static str],
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub size: u32,
}

/// The slide being written: its shapes, and the relationships they use (rId1 is the layout).
pub struct Slide {
    lang: &'static str,
    shapes: String,
    next_id: u32,
    pub rels: Vec<(String, &'static str, String)>,
}

const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

impl Slide {
    pub fn new(lang: &'static str) -> Slide {
        Slide {
            lang,
            shapes: String::new(),
            next_id: 2,
            rels: vec![(
                "rId1".into(),
                "slideLayout",
                "../slideLayouts/slideLayout1.xml".into(),
            )],
        }
    }

    fn id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id - 1
    }

    /// A relationship from this slide to `target` (relative to `ppt/slides/`); its id.
    pub fn relate(&mut self, kind: &'static str, target: String) -> String {
        let id = format!("rId{}", self.rels.len() + 1);
        self.rels.push((id.clone(), kind, target));
        id
    }

    fn run(&self, run: &Run) -> String {
        let fill = run.color.as_ref().map_or(String::new(), |c| {
            format!(r#"<a:solidFill><a:srgbClr val="{c}"/></a:solidFill>"#)
        });
        format!(
            r#"<a:r><a:rPr lang="{}" sz="{}" b="{}" dirty="0">{fill}</a:rPr><a:t>{}</a:t></a:r>"#,
            self.lang,
            run.size * 100,
            u8::from(run.bold),
            esc(&run.text)
        )
    }

    fn para(&self, para: &Para) -> String {
        let bullet = if para.bullet {
            r#" marL="342900" indent="-342900"><a:spcAft><a:spcPts val="900"/></a:spcAft><a:buFont typeface="Arial"/><a:buChar char="•"/></a:pPr>"#.to_string()
        } else {
            r#"><a:spcAft><a:spcPts val="300"/></a:spcAft><a:buNone/></a:pPr>"#.to_string()
        };
        let runs: String = para.runs.iter().map(|r| self.run(r)).collect();
        let size = para.runs.first().map_or(16, |r| r.size) * 100;
        format!(
            r#"<a:p><a:pPr algn="{}"{bullet}{runs}<a:endParaRPr lang="{}" sz="{size}" dirty="0"/></a:p>"#,
            para.align, self.lang
        )
    }

    /// A text box at `frame` holding `paras`; it grows with its text rather than shrinking it.
    pub fn text(&mut self, name: &str, frame: Frame, paras: &[Para]) {
        let id = self.id();
        let body: String = paras.iter().map(|p| self.para(p)).collect();
        self.shapes.push_str(&format!(
            r#"<p:sp><p:nvSpPr><p:cNvPr id="{id}" name="{}"/><p:cNvSpPr txBox="1"/><p:nvPr/></p:nvSpPr><p:spPr>{}<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/></p:spPr><p:txBody><a:bodyPr wrap="square" lIns="0" tIns="0" rIns="0" bIns="0" anchor="t"><a:spAutoFit/></a:bodyPr><a:lstStyle/>{body}</p:txBody></p:sp>"#,
            esc(name),
            frame.xfrm("a:xfrm")
        ));
    }

    /// A filled rectangle (a rule under a title, a box behind a warning), with text or not.
    pub fn rect(&mut self, name: &str, frame: Frame, fill: &str, paras: &[Para]) {
        let id = self.id();
        let body: String = paras.iter().map(|p| self.para(p)).collect();
        let body = if body.is_empty() {
            format!(
                r#"<a:p><a:endParaRPr lang="{}" dirty="0"/></a:p>"#,
                self.lang
            )
        } else {
            body
        };
        self.shapes.push_str(&format!(
            r#"<p:sp><p:nvSpPr><p:cNvPr id="{id}" name="{}"/><p:cNvSpPr/><p:nvPr/></p:nvSpPr><p:spPr>{}<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:solidFill><a:srgbClr val="{fill}"/></a:solidFill><a:ln><a:noFill/></a:ln></p:spPr><p:txBody><a:bodyPr wrap="square" lIns="{m}" tIns="{m}" rIns="{m}" bIns="{m}" anchor="ctr"/><a:lstStyle/>{body}</p:txBody></p:sp>"#,
            esc(name),
            frame.xfrm("a:xfrm"),
            m = 8 * PT,
        ));
    }

    /// A table, its header row underlined in `accent`.
    pub fn table(&mut self, table: &Table<'_>, accent: &str) {
        let Table {
            name,
            at: (x, y),
            widths,
            align,
            header,
            rows,
            size,
        } = table;
        let size = *size;
        let id = self.id();
        let row_h = row_height(size);
        let cell = |text: &str, col: usize, head: bool| {
            let border = if head {
                format!(
                    r#"<a:lnB w="12700"><a:solidFill><a:srgbClr val="{accent}"/></a:solidFill></a:lnB>"#
                )
            } else {
                r#"<a:lnB w="5080"><a:solidFill><a:srgbClr val="DCDCDC"/></a:solidFill></a:lnB>"#
                    .to_string()
            };
            let para = Para {
                align: align.get(col).copied().unwrap_or("l"),
                ..Para::of(Run {
                    bold: head,
                    ..Run::new(text, size)
                })
            };
            let p = if text.is_empty() {
                format!(
                    r#"<a:p><a:endParaRPr lang="{}" sz="{}" dirty="0"/></a:p>"#,
                    self.lang,
                    size * 100
                )
            } else {
                self.para(&para)
            };
            format!(
                r#"<a:tc><a:txBody><a:bodyPr/><a:lstStyle/>{p}</a:txBody><a:tcPr marL="76200" marR="76200" marT="63500" marB="63500" anchor="ctr"><a:lnL w="0"><a:noFill/></a:lnL><a:lnR w="0"><a:noFill/></a:lnR><a:lnT w="0"><a:noFill/></a:lnT>{border}<a:noFill/></a:tcPr></a:tc>"#
            )
        };
        let row = |cells: &[String], head: bool| {
            let tcs: String = cells
                .iter()
                .enumerate()
                .map(|(i, c)| cell(c, i, head))
                .collect();
            format!(r#"<a:tr h="{row_h}">{tcs}</a:tr>"#)
        };
        let grid: String = widths
            .iter()
            .map(|w| format!(r#"<a:gridCol w="{w}"/>"#))
            .collect();
        let body: String = std::iter::once(row(header, true))
            .chain(rows.iter().map(|r| row(r, false)))
            .collect();
        let frame = Frame {
            x: *x,
            y: *y,
            w: widths.iter().sum(),
            h: row_h * (rows.len() as i64 + 1),
        };
        self.shapes.push_str(&format!(
            r#"<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="{id}" name="{}"/><p:cNvGraphicFramePr><a:graphicFrameLocks noGrp="1"/></p:cNvGraphicFramePr><p:nvPr/></p:nvGraphicFramePr>{}<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/table"><a:tbl><a:tblPr firstRow="1"/><a:tblGrid>{grid}</a:tblGrid>{body}</a:tbl></a:graphicData></a:graphic></p:graphicFrame>"#,
            esc(name),
            frame.xfrm("p:xfrm")
        ));
    }

    /// A picture: a PNG, and the SVG it was drawn from for the applications that take one.
    pub fn picture(&mut self, name: &str, frame: Frame, png: &str, svg: &str) {
        let id = self.id();
        let png = self.relate("image", format!("../media/{png}"));
        let svg = self.relate("image", format!("../media/{svg}"));
        self.shapes.push_str(&format!(
            r#"<p:pic><p:nvPicPr><p:cNvPr id="{id}" name="{n}" descr="{n}"/><p:cNvPicPr><a:picLocks noChangeAspect="1"/></p:cNvPicPr><p:nvPr/></p:nvPicPr><p:blipFill><a:blip r:embed="{png}"><a:extLst><a:ext uri="{{96DAC541-7B7A-43D3-8B79-37D633B846F1}}"><asvg:svgBlip xmlns:asvg="http://schemas.microsoft.com/office/drawing/2016/SVG/main" r:embed="{svg}"/></a:ext></a:extLst></a:blip><a:stretch><a:fillRect/></a:stretch></p:blipFill><p:spPr>{}<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></p:spPr></p:pic>"#,
            frame.xfrm("a:xfrm"),
            n = esc(name),
        ));
    }

    /// A chart frame showing `ppt/charts/<chart>`.
    pub fn chart(&mut self, name: &str, frame: Frame, chart: &str) {
        let id = self.id();
        let rel = self.relate("chart", format!("../charts/{chart}"));
        self.shapes.push_str(&format!(
            r#"<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="{id}" name="{}"/><p:cNvGraphicFramePr/><p:nvPr/></p:nvGraphicFramePr>{}<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart"><c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" r:id="{rel}"/></a:graphicData></a:graphic></p:graphicFrame>"#,
            esc(name),
            frame.xfrm("p:xfrm")
        ));
    }

    /// The slide number, a field that follows the slide when slides are moved.
    pub fn number(&mut self, frame: Frame, n: usize, size: u32, color: &str) {
        let id = self.id();
        self.shapes.push_str(&format!(
            r#"<p:sp><p:nvSpPr><p:cNvPr id="{id}" name="Slide number"/><p:cNvSpPr txBox="1"/><p:nvPr/></p:nvSpPr><p:spPr>{}<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/></p:spPr><p:txBody><a:bodyPr wrap="square" lIns="0" tIns="0" rIns="0" bIns="0"/><a:lstStyle/><a:p><a:pPr algn="r"/><a:fld id="{{B6F15528-21DE-4FAA-801E-634DDDAF4B2B}}" type="slidenum"><a:rPr lang="{}" sz="{}" dirty="0"><a:solidFill><a:srgbClr val="{color}"/></a:solidFill></a:rPr><a:t>{n}</a:t></a:fld></a:p></p:txBody></p:sp>"#,
            frame.xfrm("a:xfrm"),
            self.lang,
            size * 100
        ));
    }

    /// The slide's part.
    pub fn xml(&self) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<p:sld xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="{REL}" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/><a:chOff x="0" y="0"/><a:chExt cx="0" cy="0"/></a:xfrm></p:grpSpPr>{}</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sld>"#,
            self.shapes
        )
    }

    /// The slide's relationships part.
    pub fn rels_xml(&self) -> String {
        rels(&self.rels)
    }
}

/// A relationships part: (id, kind, target), the kind's namespace being the Office document's.
pub fn rels(list: &[(String, &'static str, String)]) -> String {
    let items: String = list
        .iter()
        .map(|(id, kind, target)| {
            let kind = match *kind {
                "core-properties" => {
                    "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties".to_string()
                }
                k => format!("{REL}/{k}"),
            };
            format!(
                r#"<Relationship Id="{id}" Type="{kind}" Target="{}"/>"#,
                esc(target)
            )
        })
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{items}</Relationships>"#
    )
}
