//! PDF documents, typeset locally by Typst used as a library.
//!
//! A document is a Typst template (a file a partner can copy and change) plus its data, handed to
//! the template as JSON in `sys.inputs.data`. The engine sees nothing else: no files, no
//! packages, no network. Fonts are the ones bundled with `typst-assets` (Libertinus Serif, New
//! Computer Modern, DejaVu Sans Mono), so a PDF looks the same on every laptop. Typst memoizes
//! across compilations; the cache is cleared after every render, failed or not, so a long-running
//! app does not grow with each PDF.

pub mod format;

use std::sync::{Arc, LazyLock};

use typst::diag::{FileError, FileResult, PackageError, Severity, SourceDiagnostic, Warned};
use typst::foundations::{Bytes, Datetime, Dict, Duration, IntoValue};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;

/// Why a document could not be made. A template's problems carry their place in the template.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the template has errors: {}", .0.join("; "))]
    Template(Vec<String>),
    #[error("the document could not be written as PDF: {}", .0.join("; "))]
    Export(Vec<String>),
}

/// A rendered document and the template's warnings (the bundled templates have none; tests
/// check).
#[derive(Debug)]
pub struct Rendered {
    pub pdf: Vec<u8>,
    pub warnings: Vec<String>,
}

struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

/// The bundled fonts, parsed once per process.
static FONTS: LazyLock<Arc<Fonts>> = LazyLock::new(|| {
    let fonts: Vec<Font> = typst_assets::fonts()
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .collect();
    let mut book = FontBook::new();
    for f in &fonts {
        book.push(f.info().clone());
    }
    Arc::new(Fonts {
        book: LazyHash::new(book),
        fonts,
    })
});

struct TemplateWorld {
    library: LazyHash<Library>,
    fonts: Arc<Fonts>,
    main: Source,
    today: Option<Datetime>,
}

fn main_id() -> FileId {
    let path = VirtualPath::new("main.typ").expect("a valid virtual path");
    RootedPath::new(VirtualRoot::Project, path).intern()
}

impl World for TemplateWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.fonts.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(self.file(id).err().unwrap_or(FileError::AccessDenied))
        }
    }

    /// Only the template itself exists: images, includes and packages are refused.
    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if let VirtualRoot::Package(spec) = id.root() {
            return Err(FileError::Package(PackageError::NotFound(spec.clone())));
        }
        if id == self.main.id() {
            return Ok(Bytes::from_string(self.main.text().to_string()));
        }
        Err(FileError::NotFound(
            id.vpath().get_without_slash().to_string().into(),
        ))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        self.today
    }
}

fn messages(world: &TemplateWorld, diags: &[SourceDiagnostic]) -> Vec<String> {
    diags
        .iter()
        .map(|d| {
            let severity = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let place = d.span.id().and_then(|id| {
                let range = world.range(d.span)?;
                let (line, column) = world
                    .source(id)
                    .ok()?
                    .lines()
                    .byte_to_line_column(range.start)?;
                Some(format!("line {}, column {}", line + 1, column + 1))
            });
            let mut text = match place {
                Some(p) => format!("{severity} at {p}: {}", d.message),
                None => format!("{severity}: {}", d.message),
            };
            for hint in &d.hints {
                text.push_str(&format!(" (hint: {})", hint.v));
            }
            text
        })
        .collect()
}

/// How many renders a memoized result survives unused (see `comemo::evict`).
const EVICT_AFTER_RENDERS: usize = 4;

/// Typesets `template` with `data` (JSON, as `sys.inputs.data`) into a PDF. `today` is what the
/// template's `datetime.today()` gives. Blocking and CPU-bound: call it off the async runtime.
pub fn render(
    template: &str,
    data: &serde_json::Value,
    today: chrono::NaiveDate,
) -> Result<Rendered, PdfError> {
    use chrono::Datelike;
    let json = serde_json::to_vec(data).expect("JSON values serialize");
    let mut inputs = Dict::new();
    inputs.insert("data".into(), Bytes::new(json).into_value());
    let world = TemplateWorld {
        library: LazyHash::new(Library::builder().with_inputs(inputs).build()),
        fonts: Arc::clone(&FONTS),
        main: Source::new(main_id(), template.to_string()),
        today: Datetime::from_ymd(today.year(), today.month() as u8, today.day() as u8),
    };
    let Warned { output, warnings } = typst::compile::<PagedDocument>(&world);
    let warnings = messages(&world, &warnings);
    let result = output
        .map_err(|e| PdfError::Template(messages(&world, &e)))
        .and_then(|document| {
            typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default())
                .map_err(|e| PdfError::Export(messages(&world, &e)))
        });
    // Memoized work no render has used in the last few goes: the cache stays bounded, and a deck
    // typeset beside this one (a batch writes one per core) keeps what it is using.
    comemo::evict(EVICT_AFTER_RENDERS);
    result.map(|pdf| Rendered { pdf, warnings })
}
