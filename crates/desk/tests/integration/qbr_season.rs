//! The QBR season: every partner's review written in one go, by `Desk::export_reviews` (a few at
//! a time) and by the `partner-desk-qbr` command that runs it.

use crate::common;

use common::{as_of, pdftotext, world};
use desk::qbr::{self, Audience};
use desk::store::Store;
use desk::Desk;
use program::contract::{Partner, Role};
use program::qbr::Quarter;
use program::Tier;

use crate::qbr::QUARTER;

#[tokio::test]
async fn the_batch_command_writes_a_deck_and_a_workbook_for_every_partner_in_scope() {
    let w = world().await;
    // An account manager over partners of three tiers: two with QBRs, one without.
    let scope: Vec<Partner> = [Tier::Strategic, Tier::Regional, Tier::Authorized]
        .into_iter()
        .map(|tier| w.partner(|p| p.tier == tier))
        .collect();
    let ids: Vec<_> = scope.iter().map(|p| p.id).collect();
    let token = w
        .server
        .create_token("ana.am", Role::PlatformAccountManager, &ids)
        .await
        .unwrap();
    let store = Store::open(&w.dir.path().join("am").join(desk::store::CACHE_FILE))
        .await
        .unwrap();
    common::engine(&w.server, &store, &token)
        .await
        .run_once()
        .await
        .unwrap();
    let partners: i64 = sqlx::query_scalar("SELECT count(*) FROM partners")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(partners, 3);
    let quarter: Quarter = QUARTER.parse().unwrap();
    let mut names = Vec::new();
    for p in &scope {
        let review = qbr::review(&store, p.id, quarter, as_of()).await.unwrap();
        names.push((p.tier, qbr::file_name(&review, Audience::Partner, "pdf")));
    }
    store.close().await;
    let out = w.dir.path().join("decks");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_partner-desk-qbr"))
        .args(["--quarter", QUARTER, "--lang", "es", "--data-dir"])
        .arg(w.dir.path().join("am"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let decks = files.iter().filter(|f| f.ends_with(".pdf")).count();
    let slides = files.iter().filter(|f| f.ends_with(".pptx")).count();
    let books = files.iter().filter(|f| f.ends_with(".xlsx")).count();
    assert_eq!((decks, slides, books), (3, 3, 3), "{files:?}");
    assert!(
        stdout.contains(&format!(
            "{partners} reviews (deck as PDF and PPTX, workbook) for {QUARTER}"
        )),
        "{stdout}"
    );
    // Each partner's deck, in Spanish; only the Authorized partner's says it is an internal review.
    for (tier, name) in &names {
        let text = pdftotext(&out.join(name));
        assert!(text.contains("Revisión"), "{name}: {text}");
        assert_eq!(
            text.contains("Revisión interna"),
            *tier == Tier::Authorized,
            "{tier:?} {name}"
        );
    }

    // A quarter that is not one: a clear error, nothing written.
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_partner-desk-qbr"))
        .args(["--quarter", "2026-Q9", "--data-dir"])
        .arg(w.dir.path().join("am"))
        .arg("--out")
        .arg(w.dir.path().join("none"))
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("write it as 2026-Q3"));
    assert!(!w.dir.path().join("none").exists());

    // Two at a time, with a partner the cache does not hold among them: that one fails, by name,
    // and every other review is written whole; each is told as it ends.
    let desk = Desk::open(&w.dir.path().join("am")).await.unwrap();
    let mut list = desk.partner_ids().await.unwrap();
    list.insert(1, ("no-such-partner".into(), "Nobody".into()));
    let out = w.dir.path().join("season");
    std::fs::create_dir(&out).unwrap();
    let mut told = Vec::new();
    let failed = desk
        .export_reviews(
            &list,
            QUARTER,
            desk::export::Lang::En,
            Audience::Partner,
            &out,
            2,
            |name, result| told.push((name.to_string(), result.is_ok())),
        )
        .await;
    told.sort();
    let mut expected: Vec<(String, bool)> = list
        .iter()
        .map(|(id, name)| (name.clone(), id != "no-such-partner"))
        .collect();
    expected.sort();
    assert_eq!(told, expected);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, "Nobody");
    let written = std::fs::read_dir(&out).unwrap().count();
    assert_eq!(written, 3 * partners as usize, "three files per partner");
    for (tier, name) in &names {
        let text = pdftotext(&out.join(name));
        assert!(
            text.contains("Quarterly Executive Review"),
            "{tier:?} {name}: {text}"
        );
    }
}
