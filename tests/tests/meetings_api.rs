//! The meetings API over real HTTP on a real server and redb: list, create (empty and
//! from the previous meeting), import, export, server-assigned action references, the
//! live catalog and the demo meeting.

use minutebook_shared::client::SyncClient;
use minutebook_shared::meeting::{
    markdown, ActionFields, ActionStatus, Attendance, Header, Meeting, MeetingView, Minutes,
    MinutesAction, MinutesItem, MinutesPerson, NewAction, NextMeeting, Person,
};
use minutebook_tests::{TestServer, PATIENCE};
use serde_json::{json, Value};
use yrs::{Doc, Text, Transact};

const FIXTURE: &str = include_str!("../../shared/fixtures/assurance-meeting-2022-01.txt");

/// Another meeting of the legacy shape, with one referenced and one unreferenced action.
const ESTATES: &str = "Quarterly Estates Board March 2023 - Minutes

Date: Tuesday 14th March 2023, 10.30am
Chair: Alice Smith
Minutes: Bob Jones, Governance Officer, OPCC
Location: Hindlip Hall

\tName:\tCapacity:\tOrganisation:
Present:\tAlice Smith\tChief Executive (CE)\tOPCC
\tDavid Brown\tHead of Estates (DB)\tWest Mercia Police

No.\tItem
1.\tApologies Noted as above.
2.\t<p>Estates strategy</p> <p>DB presented the draft strategy.</p> <p>ACTION 06/23: DB to circulate the final strategy by 31 March 2023.</p>
2.1\t<p><u>Disposals</u></p> <p>The CE and DB agreed the list.</p> <p>ACTION: CE to confirm values.</p>
3.\t<p>Date of next meeting</p> <p>Date: Tuesday 13th June</p> <p>Time: 2pm</p> <p>Venue: Hindlip Hall</p> <p>Type: Board</p>
";

async fn create(server: &TestServer, body: Value) -> String {
    let r = server.http().post_json("/api/meetings", &body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["name"].as_str().expect("name").to_string()
}

async fn import(server: &TestServer, format: &str, text: &str) -> String {
    let r = server
        .http()
        .post_text(&format!("/api/meetings/import?format={format}"), text)
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["name"].as_str().expect("name").to_string()
}

async fn list(server: &TestServer) -> Vec<Value> {
    let r = server.http().get("/api/meetings").await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json().as_array().expect("array").clone()
}

async fn export_md(server: &TestServer, name: &str) -> String {
    let r = server
        .http()
        .get(&format!("/api/meetings/{name}/export.md"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.text()
}

fn view(m: &Meeting) -> MeetingView {
    let txn = m.doc().transact();
    m.view(&txn)
}

/// A synced native client on `name` and its meeting handle.
async fn open(server: &TestServer, name: &str) -> (SyncClient, Meeting) {
    let client = server.client(name);
    client.wait_synced(PATIENCE).await.expect("synced");
    let meeting = Meeting::new(client.doc().clone());
    (client, meeting)
}

/// Adds an action (no reference) and returns its id.
fn add_action(m: &Meeting, description: &str, status: ActionStatus) -> String {
    let mut txn = m.doc().transact_mut();
    m.add_action(
        &mut txn,
        &NewAction {
            fields: ActionFields {
                description: description.into(),
                status,
                ..ActionFields::default()
            },
            ..NewAction::default()
        },
    )
    .expect("add action")
    .0
}

/// Waits until the action `id` has a reference and returns it.
async fn reference_of(client: &SyncClient, m: &Meeting, id: &str) -> String {
    let find = |m: &Meeting| {
        view(m)
            .actions
            .iter()
            .find(|a| a.id.0 == id)
            .and_then(|a| a.fields.reference.clone())
            .filter(|r| !r.is_empty())
    };
    client
        .wait_doc("reference assigned", PATIENCE, |_| find(m).is_some())
        .await
        .expect("the server assigns a reference");
    find(m).expect("reference")
}

/// Item numbers of the headings of a canonical Markdown export, in order.
fn heading_numbers(md: &str) -> Vec<String> {
    md.lines()
        .filter(|l| l.starts_with("##"))
        .filter_map(|l| l.trim_start_matches('#').split_whitespace().next())
        .filter(|n| n.chars().all(|c| c.is_ascii_digit() || c == '.'))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn create_list_and_export() {
    let server = TestServer::start().await;
    assert!(list(&server).await.is_empty());
    // Signed out, there is nothing to list.
    let r = server.anonymous().get("/api/meetings").await;
    assert_eq!(r.status, 401, "{}", r.text());
    assert!(r.json()["error"].is_string());
    let name = create(
        &server,
        json!({"title": "Finance Committee 3 March 2023", "series": "Finance", "from": null}),
    )
    .await;
    assert!(
        name.starts_with("finance-committee-3-march-2023-"),
        "{name}"
    );
    let other = create(&server, json!({"title": "Audit", "series": "Audit"})).await;
    assert_ne!(name, other);

    let meetings = list(&server).await;
    assert_eq!(meetings.len(), 2);
    // Sorted by series: Audit before Finance.
    assert_eq!(meetings[0]["name"], other.as_str());
    assert_eq!(
        meetings[1],
        json!({"name": name, "title": "Finance Committee 3 March 2023", "series": "Finance",
               "date": "", "status": "draft", "lifecycle": "Draft"})
    );

    let r = server
        .http()
        .get(&format!("/api/meetings/{name}/export.md"))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("text/markdown; charset=utf-8")
    );
    assert_eq!(
        r.header("content-disposition"),
        Some(format!("attachment; filename=\"{name}.md\"").as_str())
    );
    assert!(r.text().starts_with("# Finance Committee 3 March 2023"));
    let r = server
        .http()
        .get(&format!("/api/meetings/{name}/export.html"))
        .await;
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/html")));
    assert_eq!(
        r.header("content-disposition"),
        Some(format!("attachment; filename=\"{name}.html\"").as_str())
    );
    assert!(r.text().contains("Finance Committee 3 March 2023"));

    // Errors are JSON with a 4xx status.
    for path in [
        "/api/meetings/nope/export.md",
        "/api/meetings/nope/export.html",
    ] {
        let r = server.http().get(path).await;
        assert_eq!(r.status, 404, "{path}");
        assert!(r.json()["error"].is_string());
    }
    let r = minutebook_tests::http::request_as(
        server.addr(),
        Some(&server.admin),
        "POST",
        "/api/meetings",
        Some("application/json"),
        b"{not json",
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.json()["error"].is_string());
    let r = server
        .http()
        .post_json(
            "/api/meetings",
            &json!({"title": "X", "series": "", "from": "missing-meeting"}),
        )
        .await;
    assert!((400..500).contains(&r.status), "{}", r.status);
    assert!(r.json()["error"]
        .as_str()
        .unwrap()
        .contains("missing-meeting"));
    let r = server
        .http()
        .post_text("/api/meetings/import?format=docx", "x")
        .await;
    assert_eq!(r.status, 400);
    assert!(r.json()["error"].is_string());
}

#[tokio::test]
async fn import_fixture_and_round_trip_markdown() {
    let server = TestServer::start().await;
    let name = import(&server, "legacy", FIXTURE).await;
    let md = export_md(&server, &name).await;
    let minutes = markdown::parse(&md).expect("the export parses");
    assert_eq!(minutes.people.len(), 7);
    let shorts: Vec<&str> = minutes
        .people
        .iter()
        .map(|p| p.person.short.as_str())
        .collect();
    assert_eq!(shorts, ["PCC", "DPCC", "JI", "CC", "DCC", "DB", "MC"]);
    assert_eq!(
        heading_numbers(&md),
        ["1", "2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "3", "4"]
    );
    assert_eq!(minutes.header.next.date, "Friday 11th March");

    let listed = list(&server).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["name"], name.as_str());
    assert_eq!(listed[0]["series"], "Monthly Assurance Meeting");

    // Markdown round trip: importing the export reproduces the same structure.
    let again = import(&server, "markdown", &md).await;
    assert_ne!(again, name);
    let md2 = export_md(&server, &again).await;
    assert_eq!(markdown::parse(&md2).expect("parses"), minutes);
    assert_eq!(md2, md);
    assert_eq!(list(&server).await.len(), 2);
}

#[tokio::test]
async fn malformed_import_is_422_with_the_line() {
    let server = TestServer::start().await;
    let r = server
        .http()
        .post_text(
            "/api/meetings/import?format=legacy",
            "Title\nWhatever this is\n",
        )
        .await;
    assert_eq!(r.status, 422);
    let error = r.json()["error"].as_str().unwrap().to_string();
    assert!(error.starts_with("line 2: "), "{error}");
    assert!(error.contains("unrecognised header line"), "{error}");

    let r = server
        .http()
        .post_text("/api/meetings/import?format=markdown", "no heading here\n")
        .await;
    assert_eq!(r.status, 422);
    assert!(r.json()["error"].as_str().unwrap().starts_with("line 1"));
    assert!(list(&server).await.is_empty(), "nothing was created");
}

#[tokio::test]
async fn create_from_previous_meeting_copies_register_and_carries_open_actions() {
    let server = TestServer::start().await;
    let prev = create(
        &server,
        json!({"title": "Board 1 2023", "series": "Board", "from": null}),
    )
    .await;
    let (client, m) = open(&server, &prev).await;
    let (done_id, open_id);
    {
        let mut txn = m.doc().transact_mut();
        m.set_header(
            &mut txn,
            &Header {
                title: "Board 1 2023".into(),
                series: "Board".into(),
                date: "Monday 9th January 2023".into(),
                venue: "Room 1".into(),
                next: NextMeeting {
                    date: "Monday 6th February 2023".into(),
                    time: "10am".into(),
                    kind: "Board".into(),
                    venue: "Room 2".into(),
                },
                ..Header::default()
            },
        );
        let ann = m.add_person(
            &mut txn,
            &Person {
                name: "Ann Lee".into(),
                capacity: "Chair".into(),
                short: "AL".into(),
                organisation: "OPCC".into(),
            },
            &Attendance::Present,
        );
        let bob = m.add_person(
            &mut txn,
            &Person {
                name: "Bob Day".into(),
                capacity: "Treasurer".into(),
                short: "BD".into(),
                organisation: String::new(),
            },
            &Attendance::Apologies,
        );
        m.set_chair(&mut txn, Some(&ann)).unwrap();
        let item = m.insert_item(&mut txn, None, 0, "Finance").unwrap();
        m.insert_block(
            &mut txn,
            &item,
            0,
            minutebook_shared::meeting::BlockKind::Paragraph,
            "Spent money.",
        )
        .unwrap();
        m.insert_item(&mut txn, Some(&item), 0, "Sub item").unwrap();
        let aob = m.insert_item(&mut txn, None, 1, "AOB").unwrap();
        // Finance and AOB are standing items; the estates strategy was a one-off topic.
        m.set_standing(&mut txn, &item, true).unwrap();
        m.set_standing(&mut txn, &aob, true).unwrap();
        m.insert_item(&mut txn, None, 2, "Estates strategy")
            .unwrap();
        let mk = |desc: &str, status| NewAction {
            fields: ActionFields {
                description: desc.into(),
                status,
                ..ActionFields::default()
            },
            owners: vec![bob.clone()],
            item: Some(item.clone()),
            block: None,
        };
        done_id = m
            .add_action(&mut txn, &mk("Pay invoices", ActionStatus::Done))
            .unwrap()
            .0;
        open_id = m
            .add_action(&mut txn, &mk("Draft budget", ActionStatus::Open))
            .unwrap()
            .0;
    }
    let done_ref = reference_of(&client, &m, &done_id).await;
    let open_ref = reference_of(&client, &m, &open_id).await;
    assert_eq!((done_ref.as_str(), open_ref.as_str()), ("01/23", "02/23"));
    client.wait_saved(PATIENCE).await.unwrap();

    let next = create(
        &server,
        json!({"title": "Board 2 2023", "series": "", "from": prev}),
    )
    .await;
    let (client2, m2) = open(&server, &next).await;
    let v = view(&m2);
    let h = &v.header.fields;
    assert_eq!(h.title, "Board 2 2023");
    assert_eq!(h.series, "Board");
    assert_eq!(h.date, "Monday 6th February 2023");
    assert_eq!(h.start_time, "10am");
    assert_eq!(h.venue, "Room 2");
    assert_eq!(h.next, NextMeeting::default());
    let people: Vec<(&str, &Attendance<_>)> = v
        .people
        .iter()
        .map(|p| (p.person.name.as_str(), &p.attendance))
        .collect();
    assert_eq!(
        people,
        [
            ("Ann Lee", &Attendance::Unknown),
            ("Bob Day", &Attendance::Unknown)
        ],
        "attendance is taken at the meeting, not assumed"
    );
    let chair = v.header.chair.as_ref().and_then(|c| v.person(c)).unwrap();
    assert_eq!(chair.person.name, "Ann Lee");
    let items: Vec<(&str, &str, usize)> = v
        .items
        .iter()
        .map(|i| (i.number.as_str(), i.title.as_str(), i.blocks.len()))
        .collect();
    assert_eq!(
        items,
        [
            ("1", "Minutes of the previous meeting", 0),
            ("2", "Matters arising", 0),
            ("3", "Finance", 0),
            ("4", "AOB", 0)
        ],
        "standing items only, the previous minutes to agree first, and open actions \
         reviewed under a new Matters arising item after them"
    );
    assert!(v.items.iter().all(|i| i.standing), "they stay standing");
    assert_eq!(
        v.actions.len(),
        1,
        "only the open action is carried forward"
    );
    let a = &v.actions[0];
    assert_eq!(a.fields.description, "Draft budget");
    assert_eq!(a.fields.reference.as_deref(), Some("02/23"));
    assert_eq!(
        v.person(&a.owners[0]).unwrap().person.name,
        "Bob Day",
        "owners carried with the register"
    );
    assert_eq!(
        a.item.as_ref(),
        Some(&v.items[1].id),
        "the carried action appears in Matters arising"
    );
    // The action log continues in the new meeting.
    let id = add_action(&m2, "New one", ActionStatus::Open);
    assert_eq!(reference_of(&client2, &m2, &id).await, "03/23");

    // A minute-taker closes the carried action: the series' action log lists every
    // meeting's actions with who changed the status, and when.
    let taker = server
        .member(
            &next,
            "Tess Taker",
            None,
            minutebook_shared::trust::Role::MinuteTaker,
        )
        .await;
    let as_taker = server.client_as(&next, &taker);
    as_taker.wait_synced(PATIENCE).await.unwrap();
    {
        let m = Meeting::new(as_taker.doc().clone());
        let carried = view(&m).actions[0].id.clone();
        let mut txn = m.doc().transact_mut();
        m.set_action_status(&mut txn, &carried, ActionStatus::Done)
            .unwrap();
    }
    as_taker.wait_saved(PATIENCE).await.unwrap();
    let r = server
        .http()
        .get(&format!("/api/meetings/{next}/series-actions"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let log = r.json();
    let rows: Vec<(String, String, String, String)> = log
        .as_array()
        .expect("array")
        .iter()
        .map(|e| {
            (
                e["meeting"].as_str().unwrap_or("").to_string(),
                e["reference"].as_str().unwrap_or("").to_string(),
                e["status"].as_str().unwrap_or("").to_string(),
                e["changed"]["by"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (prev.clone(), "01/23".into(), "done".into(), String::new()),
            (
                next.clone(),
                "02/23".into(),
                "done".into(),
                "Tess Taker".into()
            ),
            (next.clone(), "03/23".into(), "open".into(), String::new()),
        ],
        "each action once, as its latest meeting has it"
    );
    assert_eq!(log[1]["meetings"], json!([prev, next]), "02/23 was carried");
    // The change is in the meeting's audit log with who and when.
    let audit = server
        .http()
        .get(&format!("/api/meetings/{next}/audit"))
        .await
        .json();
    assert!(audit.as_array().expect("array").iter().any(|e| {
        e["event"] == "action-status"
            && e["actor"] == "Tess Taker"
            && e["detail"]
                .as_str()
                .is_some_and(|d| d.ends_with("open → done"))
    }));
    as_taker.close().await;
    client.close().await;
    client2.close().await;
}

#[tokio::test]
async fn references_are_per_series_unique_relayed_and_survive_restart() {
    let mut server = TestServer::start().await;
    let a = create(
        &server,
        json!({"title": "Finance 2023", "series": "Finance"}),
    )
    .await;
    let b = create(
        &server,
        json!({"title": "Finance April 2023", "series": "Finance"}),
    )
    .await;
    let other = create(&server, json!({"title": "Audit 2023", "series": "Audit"})).await;

    let (ca, ma) = open(&server, &a).await;
    let (watcher, mw) = open(&server, &a).await;
    let (cb, mb) = open(&server, &b).await;
    let (co, mo) = open(&server, &other).await;

    let a1 = add_action(&ma, "first", ActionStatus::Open);
    assert_eq!(reference_of(&ca, &ma, &a1).await, "01/23");
    // Another client of the same meeting receives the server's reference live.
    assert_eq!(reference_of(&watcher, &mw, &a1).await, "01/23");
    let b1 = add_action(&mb, "second", ActionStatus::Open);
    assert_eq!(reference_of(&cb, &mb, &b1).await, "02/23");
    let a2 = add_action(&ma, "third", ActionStatus::Open);
    assert_eq!(reference_of(&ca, &ma, &a2).await, "03/23");
    // Another series counts on its own.
    let o1 = add_action(&mo, "audit", ActionStatus::Open);
    assert_eq!(reference_of(&co, &mo, &o1).await, "01/23");
    for c in [ca, watcher, cb, co] {
        c.wait_saved(PATIENCE).await.unwrap();
        c.close().await;
    }

    server.restart().await;
    let (ca, ma) = open(&server, &a).await;
    let refs: Vec<Option<String>> = view(&ma)
        .actions
        .iter()
        .map(|x| x.fields.reference.clone())
        .collect();
    assert_eq!(refs, [Some("01/23".into()), Some("03/23".into())]);
    let (cb, mb) = open(&server, &b).await;
    let b2 = add_action(&mb, "after restart", ActionStatus::Open);
    assert_eq!(reference_of(&cb, &mb, &b2).await, "04/23");
    ca.close().await;
    cb.close().await;
}

#[tokio::test]
async fn concurrent_actions_in_two_meetings_of_a_series_get_distinct_references() {
    let server = TestServer::start().await;
    let a = create(&server, json!({"title": "Ops 2024", "series": "Ops"})).await;
    let b = create(&server, json!({"title": "Ops 2024 b", "series": "Ops"})).await;
    let (ca, ma) = open(&server, &a).await;
    let (cb, mb) = open(&server, &b).await;
    let ids_a: Vec<String> = (0..3)
        .map(|i| add_action(&ma, &format!("a{i}"), ActionStatus::Open))
        .collect();
    let ids_b: Vec<String> = (0..3)
        .map(|i| add_action(&mb, &format!("b{i}"), ActionStatus::Open))
        .collect();
    let mut refs = Vec::new();
    for id in &ids_a {
        refs.push(reference_of(&ca, &ma, id).await);
    }
    for id in &ids_b {
        refs.push(reference_of(&cb, &mb, id).await);
    }
    refs.sort();
    assert_eq!(refs, ["01/24", "02/24", "03/24", "04/24", "05/24", "06/24"]);
}

#[tokio::test]
async fn imported_references_are_kept_and_the_series_continues_after_them() {
    let server = TestServer::start().await;
    let name = import(&server, "legacy", ESTATES).await;
    let (client, m) = open(&server, &name).await;
    // The imported "ACTION 06/23" keeps its reference; the unreferenced one gets the next.
    client
        .wait_doc("both referenced", PATIENCE, |_| {
            view(&m)
                .actions
                .iter()
                .all(|a| a.fields.reference.is_some())
        })
        .await
        .unwrap();
    let refs: Vec<String> = view(&m)
        .actions
        .iter()
        .filter_map(|a| a.fields.reference.clone())
        .collect();
    assert_eq!(refs, ["06/23", "07/23"]);
    let next = create(
        &server,
        json!({"title": "Quarterly Estates Board June 2023", "series": "Quarterly Estates Board"}),
    )
    .await;
    let (c2, m2) = open(&server, &next).await;
    let id = add_action(&m2, "later", ActionStatus::Open);
    assert_eq!(reference_of(&c2, &m2, &id).await, "08/23");

    // A Markdown import with references also raises the counter.
    let mut doc_minutes = Minutes {
        header: Header {
            title: "Quarterly Estates Board September 2023".into(),
            series: "Quarterly Estates Board".into(),
            ..Header::default()
        },
        people: vec![MinutesPerson {
            person: Person {
                name: "Zed".into(),
                capacity: "Z".into(),
                ..Person::default()
            },
            attendance: Attendance::Present,
        }],
        items: vec![MinutesItem {
            title: "Only".into(),
            ..MinutesItem::default()
        }],
        ..Minutes::default()
    };
    doc_minutes.actions.push(MinutesAction {
        fields: ActionFields {
            description: "numbered".into(),
            reference: Some("20/23".into()),
            ..ActionFields::default()
        },
        ..MinutesAction::default()
    });
    let md = {
        let m = Meeting::new(Doc::new());
        m.import_minutes(&mut m.doc().transact_mut(), &doc_minutes)
            .unwrap();
        markdown::to_markdown(&view(&m))
    };
    import(&server, "markdown", &md).await;
    let id = add_action(&m2, "after the markdown import", ActionStatus::Open);
    assert_eq!(reference_of(&c2, &m2, &id).await, "21/23");
    client.close().await;
    c2.close().await;
}

#[tokio::test]
async fn live_header_edits_show_in_the_list() {
    let server = TestServer::start().await;
    let name = create(&server, json!({"title": "Draft title", "series": "S"})).await;
    let (client, m) = open(&server, &name).await;
    {
        let mut header = view(&m).header.fields.clone();
        header.title = "Final title".into();
        header.date = "1 May 2025".into();
        let mut txn = m.doc().transact_mut();
        m.set_header(&mut txn, &header);
        m.set_status(
            &mut txn,
            minutebook_shared::meeting::MeetingStatus::InMeeting,
        );
    }
    client.wait_saved(PATIENCE).await.unwrap();
    let listed = list(&server).await;
    // The listed status is the ledger's lifecycle status, never the header's field.
    assert_eq!(
        listed,
        [json!({"name": name, "title": "Final title", "series": "S",
                "date": "1 May 2025", "status": "draft", "lifecycle": "Draft"})]
    );
    // Export reads the live state too.
    assert!(export_md(&server, &name).await.starts_with("# Final title"));
    client.close().await;
}

#[tokio::test]
async fn demo_meeting_loads_once_and_only_into_an_empty_store() {
    let mut server = TestServer::start_with(|c| c.demo = true).await;
    let listed = list(&server).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["name"], "assurance-2022-01");
    let md = export_md(&server, "assurance-2022-01").await;
    assert_eq!(markdown::parse(&md).unwrap().people.len(), 7);
    server.restart().await;
    assert_eq!(list(&server).await.len(), 1, "not loaded a second time");

    // A store that already holds a document gets no demo.
    let mut server = TestServer::start().await;
    let client = server.client("notes");
    client.wait_synced(PATIENCE).await.unwrap();
    client
        .doc()
        .get_or_insert_text("text")
        .insert(&mut client.doc().transact_mut(), 0, "hello");
    client.wait_saved(PATIENCE).await.unwrap();
    client.close().await;
    server.config.demo = true;
    server.restart().await;
    assert!(list(&server).await.is_empty());
    let r = server
        .http()
        .get("/api/meetings/assurance-2022-01/export.md")
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn import_bodies_are_limited_by_the_import_limit() {
    let server = TestServer::start_with(|c| c.max_import_bytes = 2048).await;
    let big = format!("{FIXTURE}{}", " ".repeat(4096));
    let r = server
        .http()
        .post_text("/api/meetings/import?format=legacy", &big)
        .await;
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.json()["error"]
        .as_str()
        .is_some_and(|e| e.contains("import limit of 2048 bytes")));
    assert!(list(&server).await.is_empty());
}
