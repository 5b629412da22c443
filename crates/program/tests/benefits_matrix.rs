//! Compares every cell of the benefits matrix with the program's published table.

use program::benefits::{benefits_of, Benefit};
use program::Tier;

const PROGRAM_TEXT: &str = include_str!("fixtures/partner-program.txt");

/// The table's body rows: label followed by the four tier cells.
fn table_rows() -> Vec<(String, Vec<String>)> {
    PROGRAM_TEXT
        .lines()
        .filter(|l| l.starts_with("| ") && !l.contains("---"))
        .map(|l| {
            let cells: Vec<String> = l
                .trim()
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect();
            (cells[0].clone(), cells[1..].to_vec())
        })
        .filter(|(label, cells)| cells.len() == 4 && !label.starts_with("Authorized"))
        .collect()
}

#[test]
fn benefits_matrix_matches_the_program_text_cell_by_cell() {
    let rows = table_rows();
    assert_eq!(rows.len(), 11, "the program's table has eleven rows");
    for (i, benefit) in Benefit::ALL.iter().enumerate() {
        let (label, cells) = &rows[i];
        assert_eq!(label, benefit.program_label(), "row {i} label");
        for (tier, cell) in Tier::ALL.iter().zip(cells) {
            assert_eq!(
                benefit.for_tier(*tier).program_text(),
                cell,
                "{label} for {tier}"
            );
        }
    }
}

#[test]
fn every_tier_has_all_eleven_rows() {
    for tier in Tier::ALL {
        assert_eq!(benefits_of(tier).len(), 11);
    }
}

#[test]
fn the_fixture_is_the_published_program_text() {
    // The fixture is a copy of shared/program/partner-program.txt; when that file is beside the
    // checkout (as in CI), it must not have changed under us.
    let shared = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/program/partner-program.txt"
    );
    if let Ok(published) = std::fs::read_to_string(shared) {
        assert_eq!(published, PROGRAM_TEXT);
    }
}
