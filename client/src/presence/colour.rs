//! Peer colours: a fixed palette of dark, saturated colours that all keep white text and
//! a thin caret readable (contrast at least 4.5:1 against white). A page starts with the
//! colour its awareness client id hashes to and announces it, so every page paints it the
//! same way; when it meets a peer with a lower client id wearing the same colour, it moves
//! to the first colour nobody present wears ([`resolve`]), so up to a dozen people on a
//! meeting are told apart.

/// The palette, in the order [`colour_for`] hands it out.
pub const PALETTE: [&str; 12] = [
    "#d81b60", // pink
    "#1565c0", // blue
    "#2e7d32", // green
    "#6a1b9a", // purple
    "#bf360c", // deep orange
    "#00695c", // teal
    "#8c5a00", // amber brown
    "#827717", // olive
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

/// The colour this page should wear, given its own client id and colour and the
/// (client id, colour) of the others present: unchanged unless a peer with a lower client
/// id wears it too; then the first palette colour (from this page's own place in it)
/// that nobody wears, or the same one when every colour is taken.
pub fn resolve<'a>(own: u64, mine: &'a str, others: &[(u64, &str)]) -> &'a str {
    let clash = others.iter().any(|(id, c)| *id < own && *c == mine);
    if !clash {
        return mine;
    }
    let start = PALETTE
        .iter()
        .position(|c| *c == colour_for(own))
        .unwrap_or(0);
    (0..PALETTE.len())
        .map(|i| PALETTE[(start + i) % PALETTE.len()])
        .find(|c| others.iter().all(|(_, o)| o != c))
        .unwrap_or(mine)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Eight people who happen to hash to few colours end up wearing eight different
    /// ones once each has seen the others (and nobody keeps changing).
    #[test]
    fn eight_people_wear_eight_colours() {
        // Ids chosen to clash: all hash into the same few palette entries.
        let mut ids: Vec<u64> = (1..5000)
            .filter(|id| colour_for(*id) == PALETTE[0])
            .take(5)
            .collect();
        ids.extend((1..5000).filter(|id| colour_for(*id) == PALETTE[1]).take(3));
        let mut wearing: Vec<(u64, String)> = ids
            .iter()
            .map(|id| (*id, colour_for(*id).to_owned()))
            .collect();
        for _round in 0..20 {
            let before = wearing.clone();
            for i in 0..wearing.len() {
                let others: Vec<(u64, &str)> = before
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, (id, c))| (*id, c.as_str()))
                    .collect();
                wearing[i].1 = resolve(wearing[i].0, &before[i].1, &others).to_owned();
            }
            if wearing == before {
                break;
            }
        }
        let distinct: std::collections::HashSet<&str> =
            wearing.iter().map(|(_, c)| c.as_str()).collect();
        assert_eq!(distinct.len(), 8, "{wearing:?}");
    }

    #[test]
    fn the_lower_client_id_keeps_its_colour() {
        let mine = colour_for(50);
        assert_ne!(
            resolve(50, mine, &[(40, mine)]),
            mine,
            "the higher id moves"
        );
        assert_eq!(resolve(40, mine, &[(50, mine)]), mine, "the lower id stays");
        assert_eq!(
            resolve(40, mine, &[(50, PALETTE[3])]),
            mine,
            "no clash, no change"
        );
    }

    /// Every pair of palette colours can be told apart (not two near-identical shades).
    #[test]
    fn palette_colours_differ_from_each_other() {
        let rgb = |hex: &str| {
            (0..3)
                .map(|i| i32::from(u8::from_str_radix(&hex[1 + 2 * i..3 + 2 * i], 16).unwrap()))
                .collect::<Vec<_>>()
        };
        for (i, a) in PALETTE.iter().enumerate() {
            for b in &PALETTE[i + 1..] {
                let d: i32 = rgb(a).iter().zip(rgb(b)).map(|(x, y)| (x - y).abs()).sum();
                assert!(d >= 60, "{a} and {b} are too alike ({d})");
            }
        }
    }

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
