//! The audit log: every staff write leaves one entry (who, what, which object, when, one
//! line), written with the write or not at all; admins alone read it, newest first, for
//! the whole site or one object.

use entity::user::Role;
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::editorial::{create_article, create_section, id_of, publish, update_article};

const LOG: &str = "query($s: ID) { auditLog(first: 50, subjectId: $s) {
    totalCount nodes { id at action subjectId summary actor { name role } } } }";

fn actions(log: &Value) -> Vec<&str> {
    log["auditLog"]["nodes"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect()
}

async fn staff_writes_are_logged_for_admins(app: TestApp) {
    let (_, admin) = app.staff(Role::Admin).await;
    let (editor_user, editor) = app.staff(Role::Editor).await;
    let (_, contributor) = app.staff(Role::Contributor).await;
    let section = create_section(&app, &editor, "world", None).await;
    let draft = json!({ "headline": "Storm Warning", "bodyMarkdown": "Winds.", "sectionId": section });
    let article = create_article(&app, &contributor, draft).await;
    let id = id_of(&article);
    update_article(&app, &editor, &id, json!({ "headline": "Storm Warning Raised" })).await.assert_ok();
    publish(&app, &editor, &id).await;
    app.query_as(
        &editor,
        r#"mutation($a: ID!) { addCorrection(articleId: $a, kind: CORRECTION, text: "The wind speed was wrong.") { id } }"#,
        json!({ "a": id }),
    )
    .await;

    let log = app.query_as(&admin, LOG, json!({})).await;
    assert_eq!(
        actions(&log),
        ["addCorrection", "publishArticle", "updateArticle", "createArticle", "createSection"],
        "newest first"
    );
    let newest = &log["auditLog"]["nodes"][0];
    assert_eq!(newest["subjectId"], id.as_str());
    assert_eq!(newest["actor"], json!({ "name": editor_user.name, "role": "EDITOR" }));
    assert_eq!(newest["summary"], "added a correction to “Storm Warning Raised”");
    let created = &log["auditLog"]["nodes"][3];
    assert_eq!(created["actor"]["role"], "CONTRIBUTOR");
    assert_eq!(created["summary"], "created “Storm Warning”");
    let times: Vec<&str> =
        log["auditLog"]["nodes"].as_array().unwrap().iter().map(|e| e["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|pair| pair[0] >= pair[1]), "{times:?}");

    // One object's entries; an entry is a node, for admins.
    let article_log = app.query_as(&admin, LOG, json!({ "s": id })).await;
    assert_eq!(actions(&article_log), ["addCorrection", "publishArticle", "updateArticle", "createArticle"]);
    assert_eq!(article_log["auditLog"]["totalCount"], 4);
    let entry = newest["id"].clone();
    let node = "query($id: ID!) { node(id: $id) { ... on AuditEntry { action } } }";
    assert_eq!(app.query_as(&admin, node, json!({ "id": entry })).await["node"]["action"], "addCorrection");
    assert_eq!(app.query_as(&editor, node, json!({ "id": entry })).await["node"], Value::Null);

    // Nobody else reads it.
    for (token, code) in [(Some(&editor), "FORBIDDEN"), (Some(&contributor), "FORBIDDEN"), (None, "UNAUTHENTICATED")] {
        let refused = app.post(token.map(String::as_str), LOG, json!({})).await;
        assert_eq!(refused.codes(), [code], "{}", refused.body);
    }
}
on_both!(staff_writes_are_logged_for_admins);

async fn a_refused_write_leaves_no_entry(app: TestApp) {
    let (_, admin) = app.staff(Role::Admin).await;
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "world", None).await;
    let article =
        create_article(&app, &editor, json!({ "headline": "Filed", "bodyMarkdown": "x", "sectionId": section })).await;
    let id = id_of(&article);
    let before = app.query_as(&admin, LOG, json!({})).await["auditLog"]["totalCount"].clone();
    let refused = update_article(&app, &editor, &id, json!({ "headline": "Changed", "kicker": "k".repeat(61) })).await;
    assert_eq!(refused.codes(), ["BAD_USER_INPUT"]);
    let refused =
        app.post(Some(&editor), "mutation($id: ID!) { archiveArticle(id: $id) { id } }", json!({ "id": id })).await;
    assert_eq!(refused.codes(), ["BAD_USER_INPUT"], "a draft cannot be archived: {}", refused.body);
    let deleted =
        app.post(Some(&editor), "mutation($id: ID!) { deleteSection(id: $id) }", json!({ "id": section })).await;
    assert_eq!(deleted.codes(), ["FORBIDDEN"], "{}", deleted.body);
    assert_eq!(app.query_as(&admin, LOG, json!({})).await["auditLog"]["totalCount"], before, "nothing logged");

    // Readers' comments are not staff actions; a moderator's decision is.
    publish(&app, &editor, &id).await;
    let comment = app
        .post_from(
            "203.0.113.9",
            None,
            r#"mutation($a: ID!) { addComment(input: { articleId: $a, authorName: "Reader", body: "Hello" }) { id } }"#,
            json!({ "a": id }),
        )
        .await;
    let comment = comment.assert_ok()["addComment"]["id"].clone();
    app.query_as(
        &editor,
        "mutation($id: ID!) { moderateComment(id: $id, status: APPROVED) { status } }",
        json!({ "id": comment }),
    )
    .await;
    let log = app.query_as(&admin, LOG, json!({})).await;
    assert_eq!(actions(&log)[..2], ["moderateComment", "publishArticle"]);
    assert_eq!(log["auditLog"]["nodes"][0]["summary"], "set a comment by “Reader” to APPROVED");
}
on_both!(a_refused_write_leaves_no_entry);
