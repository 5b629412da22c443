//! Deterministic demo data (placeholder: being written).
