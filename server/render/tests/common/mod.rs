//! The minutes the tests and the timing example render: the real January 2022 assurance
//! meeting (`shared/fixtures/`), imported `scale` times into one meeting as the benchmarks
//! build the 10× meeting, with an attributed statement, a decision and two actions added
//! to each copy so every kind of entry is shown.
#![allow(dead_code)]

use minutebook_render::{Frozen, House, Logo, LogoImage};
use minutebook_shared::meeting::import::parse_minutes;
use minutebook_shared::meeting::model::{
    ActionFields, BlockKind, ItemPath, MinutesAction, MinutesBlock, RaisedIn,
};
use minutebook_shared::meeting::reading::Reading;
use minutebook_shared::meeting::{markdown, Meeting};
use sha2::{Digest, Sha256};
use yrs::{Doc, Transact};

pub const FIXTURE: &str = include_str!("../../../../shared/fixtures/assurance-meeting-2022-01.txt");

/// A signed version's inputs.
pub struct Sample {
    pub reading: Reading,
    pub markdown: String,
    pub sha256: String,
}

/// The status every sample is rendered with.
pub const STATUS: &str = "Signed off — version 2 — by John Campion on 2022-02-07 09:30:00.000 UTC";

/// The fixture `scale` times over, with a statement, a decision and actions added.
pub fn sample(scale: usize) -> Sample {
    let mut minutes = parse_minutes(FIXTURE).expect("the fixture imports");
    // DCC (index 4) speaks in item 2.2; item 3 records a decision; two actions.
    let two = &mut minutes.items[1];
    two.children[1].blocks.insert(
        0,
        MinutesBlock {
            kind: BlockKind::Statement,
            text: "The force will publish a data quality improvement plan.".into(),
            speakers: vec![4],
        },
    );
    minutes.items[2].blocks.push(MinutesBlock {
        kind: BlockKind::Decision,
        text: "The PCC agreed that homicide performance returns to the March meeting.".into(),
        speakers: vec![],
    });
    minutes.actions.push(MinutesAction {
        fields: ActionFields {
            description: "Circulate the homicide problem profile to the DPCC".into(),
            due: "2022-03-11".into(),
            reference: Some("01/22".into()),
            ..Default::default()
        },
        owners: vec![4],
        raised_in: Some(RaisedIn {
            item: ItemPath(vec![1, 1]),
            block: Some(0),
        }),
    });
    minutes.actions.push(MinutesAction {
        fields: ActionFields {
            description: "Report on investigator uplift".into(),
            ..Default::default()
        },
        owners: vec![3, 5],
        raised_in: Some(RaisedIn {
            item: ItemPath(vec![1, 0]),
            block: None,
        }),
    });

    let meeting = Meeting::new(Doc::new());
    for _ in 0..scale {
        let mut txn = meeting.doc().transact_mut();
        meeting.import_minutes(&mut txn, &minutes).expect("imports");
    }
    let view = meeting.view(&meeting.doc().transact());
    let markdown = markdown::to_markdown_as(&view, STATUS);
    let sha256 = Sha256::digest(markdown.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Sample {
        reading: Reading::new(&view, STATUS),
        markdown,
        sha256,
    }
}

/// The signed version of `s`.
pub fn frozen(s: &Sample) -> Frozen<'_> {
    Frozen {
        reading: &s.reading,
        markdown: &s.markdown,
        meeting: "assurance-2022-01",
        version: 2,
        sha256: &s.sha256,
        signer: "John Campion",
        signed_at_ms: 1_644_226_200_000,
        status: STATUS,
        language: "en-GB",
    }
}

/// A logo drawn with shapes (a crest-like badge), as an office would upload it.
pub const LOGO_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">
  <path d="M32 2 L60 12 L56 40 Q52 54 32 62 Q12 54 8 40 L4 12 Z" fill="#1d3557"/>
  <path d="M32 10 L52 17 L49 39 Q46 49 32 55 Q18 49 15 39 L12 17 Z" fill="#f1c40f"/>
  <rect x="29" y="18" width="6" height="30" fill="#1d3557"/>
  <rect x="20" y="27" width="24" height="6" fill="#1d3557"/>
  <script>alert("never")</script>
</svg>"##;

/// The house style used by the tests.
pub fn house() -> House {
    House {
        organisation: "Office of the Police and Crime Commissioner for West Mercia".into(),
        logo: Some(Logo {
            image: LogoImage::Svg(LOGO_SVG.into()),
            alt: "OPCC West Mercia crest".into(),
        }),
        footer: "OPCC West Mercia · Published minutes".into(),
    }
}

/// A valid 2×1 PNG (one navy, one gold pixel).
pub fn tiny_png() -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], body: &[u8]) {
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(body);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut png = vec![137, 80, 78, 71, 13, 10, 26, 10];
    chunk(&mut png, b"IHDR", &[0, 0, 0, 2, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut z, &[0, 29, 53, 87, 241, 196, 15]).expect("in memory");
    chunk(&mut png, b"IDAT", &z.finish().expect("in memory"));
    chunk(&mut png, b"IEND", &[]);
    png
}
