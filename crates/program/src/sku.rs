//! How the catalog writes a SKU: the rule the OpenAPI document's pattern states.

/// The longest SKU.
pub const MAX_SKU: usize = 40;

/// Whether `sku` is written as the catalog writes SKUs: groups of capital letters and digits
/// joined by hyphens ("SK-INVOICE"), at most [`MAX_SKU`] characters (the OpenAPI document's
/// pattern for every SKU).
pub fn is_sku(sku: &str) -> bool {
    sku.len() <= MAX_SKU
        && sku.split('-').all(|group| {
            !group.is_empty()
                && group
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sku_is_capital_letters_and_digits_in_groups_joined_by_hyphens() {
        for sku in [
            "SK-INVOICE",
            "CORE-CP",
            "PK-AI-ASSIST",
            "X1",
            &"A".repeat(MAX_SKU),
        ] {
            assert!(is_sku(sku), "{sku}");
        }
        for sku in [
            "",
            "-",
            "sk-invoice",
            "SK--X",
            "-SK",
            "SK-",
            "SK X",
            "SKÜ",
            &"A".repeat(MAX_SKU + 1),
        ] {
            assert!(!is_sku(sku), "{sku}");
        }
    }
}
