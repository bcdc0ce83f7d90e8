//! Peer colours: a fixed palette of dark, saturated colours that all keep white text and
//! a thin caret readable (contrast at least 4.5:1 against white), chosen deterministically
//! from the awareness client id so every page paints a given peer the same way.

/// The palette, in the order [`colour_for`] hands it out.
pub const PALETTE: [&str; 12] = [
    "#d81b60", // pink
    "#1565c0", // blue
    "#2e7d32", // green
    "#6a1b9a", // purple
    "#bf360c", // deep orange
    "#00695c", // teal
    "#4527a0", // deep purple
    "#ad1457", // dark pink
    "#283593", // indigo
    "#5d4037", // brown
    "#00838f", // cyan
    "#455a64", // blue grey
];

/// The colour of awareness client `client_id`.
pub fn colour_for(client_id: u64) -> &'static str {
    // Client ids are random, but mix anyway so that sequential ids spread out too.
    let mut x = client_id.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    PALETTE[(x % PALETTE.len() as u64) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WCAG relative luminance of a `#rrggbb` colour.
    fn luminance(hex: &str) -> f64 {
        let channel = |i: usize| {
            let c = f64::from(u8::from_str_radix(&hex[1 + 2 * i..3 + 2 * i], 16).unwrap()) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2)
    }

    #[test]
    fn palette_is_readable_with_white_text() {
        for colour in PALETTE {
            let contrast = 1.05 / (luminance(colour) + 0.05);
            assert!(contrast >= 4.5, "{colour}: {contrast:.2}");
            assert!(crate::presence::state::is_css_colour(colour));
        }
    }

    #[test]
    fn choice_is_deterministic_and_spread() {
        assert_eq!(colour_for(42), colour_for(42));
        let used: std::collections::HashSet<&str> = (0..200).map(colour_for).collect();
        assert_eq!(used.len(), PALETTE.len());
    }
}
