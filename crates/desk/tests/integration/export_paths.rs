//! Where exports go and what the app opens: file names made from data stay in the export folder,
//! and only a file saved there is opened or shown in the file manager.

use std::fs;
use std::path::Path;

use desk::error::DeskError;
use desk::export::{file_name, saved_export};

#[test]
fn file_names_from_data_never_leave_the_export_folder() {
    let folder = std::path::Path::new("/home/sam/exports");
    for stem in [
        "../../.bashrc",
        "/etc/passwd",
        "a\0b",
        "..",
        ".",
        "",
        "CON",
        "nul",
        "lpt1",
        "C:\\Windows\\system32",
        "Q-7K3FX-2026-0042-v1",
        &"x".repeat(400),
    ] {
        let name = file_name(stem, "pdf");
        let path = folder.join(&name);
        assert_eq!(path.parent(), Some(folder), "{stem:?} gave {name:?}");
        assert!(!name.starts_with('.'), "{stem:?} gave a hidden {name:?}");
        assert!(
            !name.contains(['/', '\\', '\0', ':']),
            "{stem:?} gave {name:?}"
        );
        assert!(
            name.len() <= 204 && name.ends_with(".pdf"),
            "{stem:?} gave {name:?}"
        );
        let base = name.trim_end_matches(".pdf").to_ascii_lowercase();
        assert!(
            !["con", "nul", "lpt1", ""].contains(&base.as_str()),
            "{stem:?} gave {name:?}"
        );
    }
    assert_eq!(
        file_name("Q-7K3FX-2026-0042-v1", "pdf"),
        "Q-7K3FX-2026-0042-v1.pdf"
    );
    assert_eq!(
        file_name("QBR-2026-Q3-Acme-Partners", "xlsx"),
        "QBR-2026-Q3-Acme-Partners.xlsx"
    );
}

#[test]
fn only_a_file_saved_in_the_export_folder_is_opened() {
    let root = tempfile::tempdir().unwrap();
    let exports = root.path().join("exports");
    fs::create_dir_all(exports.join("below")).unwrap();
    let saved = exports.join(file_name("Q-7K3FX-2026-0042-v1", "pdf"));
    fs::write(&saved, b"%PDF").unwrap();
    fs::write(exports.join("below").join("x.pdf"), b"%PDF").unwrap();
    let outside = root.path().join("secret.txt");
    fs::write(&outside, b"no").unwrap();
    std::os::unix::fs::symlink(&outside, exports.join("link.pdf")).unwrap();

    assert_eq!(
        saved_export(&exports, &saved).unwrap(),
        saved.canonicalize().unwrap()
    );
    // Through `..` back into the folder is still the same file.
    let roundabout = exports
        .join("below")
        .join("..")
        .join(saved.file_name().unwrap());
    assert!(saved_export(&exports, &roundabout).is_ok());

    for path in [
        outside.clone(),
        exports.join("..").join("secret.txt"),
        exports.join("link.pdf"),
        exports.join("below").join("x.pdf"),
        exports.join("below"),
        exports.clone(),
        Path::new("/etc/passwd").to_path_buf(),
    ] {
        let err = saved_export(&exports, &path).unwrap_err();
        assert!(
            matches!(err, DeskError::InvalidInput { field: "path", .. }),
            "{} gave {err}",
            path.display()
        );
    }
    let gone = exports.join("deleted.pdf");
    assert!(matches!(
        saved_export(&exports, &gone),
        Err(DeskError::NotFound { .. })
    ));
}
