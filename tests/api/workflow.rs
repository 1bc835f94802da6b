//! The publishing workflow: DRAFT -> IN_REVIEW -> PUBLISHED / SCHEDULED -> ARCHIVED and
//! back to DRAFT, who may make which move, when readers see an article, and deletion.

use crate::common::fixtures::{self, ago, now};
use crate::common::{Answer, TestApp};
use chrono::{DateTime, Utc};
use entity::comment::CommentStatus;
use entity::user::Role;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------
// Documents and helpers
// ---------------------------------------------------------------------------------------

const STATE: &str = "id slug headline status publishedAt scheduledAt updatedAt";

const CREATE_ARTICLE: &str = "mutation($input: CreateArticleInput!) {
  createArticle(input: $input) { id slug headline status publishedAt scheduledAt updatedAt }
}";

const UPDATE_ARTICLE: &str = "mutation($id: ID!, $input: UpdateArticleInput!) {
  updateArticle(id: $id, input: $input) { id slug headline status publishedAt scheduledAt updatedAt }
}";

const SCHEDULE: &str = "mutation($id: ID!, $at: DateTime!) {
  scheduleArticle(id: $id, publishAt: $at) { id slug headline status publishedAt scheduledAt updatedAt }
}";

const DELETE: &str = "mutation($id: ID!) { deleteArticle(id: $id) }";

const RESTORE: &str = "mutation($id: ID!) { restoreArticleRevision(id: $id, number: 1) { headline } }";

const BY_SLUG: &str = "query($slug: String!) { article(slug: $slug) { id slug headline status publishedAt } }";

const NODE: &str = "query($id: ID!) { node(id: $id) { id } }";

const PUBLIC_LIST: &str = "{ articles { totalCount nodes { slug } } }";

/// The moves without arguments, by mutation name.
#[derive(Clone, Copy, Debug)]
enum Step {
    Submit,
    Publish,
    Unpublish,
    Archive,
}

impl Step {
    fn field(self) -> &'static str {
        match self {
            Step::Submit => "submitArticleForReview",
            Step::Publish => "publishArticle",
            Step::Unpublish => "unpublishArticle",
            Step::Archive => "archiveArticle",
        }
    }
}

async fn take(app: &TestApp, token: Option<&str>, step: Step, id: &str) -> Answer {
    let field = step.field();
    let document = format!("mutation($id: ID!) {{ {field}(id: $id) {{ {STATE} }} }}");
    app.post(token, &document, json!({ "id": id })).await
}

/// Takes a step that must succeed; returns the article's new state.
async fn advance(app: &TestApp, token: &str, step: Step, id: &str) -> Value {
    let answer = take(app, Some(token), step, id).await;
    answer.assert_ok()[step.field()].clone()
}

async fn schedule(app: &TestApp, token: Option<&str>, id: &str, at: &str) -> Answer {
    app.post(token, SCHEDULE, json!({ "id": id, "at": at })).await
}

async fn update(app: &TestApp, token: Option<&str>, id: &str, input: Value) -> Answer {
    app.post(token, UPDATE_ARTICLE, json!({ "id": id, "input": input })).await
}

async fn create_section(app: &TestApp, token: &str, slug: &str) -> String {
    let data = app
        .query_as(
            token,
            "mutation($input: CreateSectionInput!) { createSection(input: $input) { id } }",
            json!({ "input": { "slug": slug, "name": slug } }),
        )
        .await;
    data["createSection"]["id"].as_str().unwrap().to_owned()
}

async fn create_article(app: &TestApp, token: &str, section: &str, headline: &str) -> Value {
    let input =
        json!({ "headline": headline, "bodyMarkdown": format!("{headline}, the story."), "sectionId": section });
    app.query_as(token, CREATE_ARTICLE, json!({ "input": input })).await["createArticle"].clone()
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().unwrap_or_else(|| panic!("no id in {value}")).to_owned()
}

fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap_or_else(|| panic!("not a time: {value}"))).unwrap().to_utc()
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[track_caller]
fn assert_code(answer: &Answer, code: &str) {
    assert_eq!(answer.codes(), [code], "{}", answer.body);
}

#[track_caller]
fn assert_bad_input(answer: &Answer, field: &str, mentions: &str) {
    assert_eq!(answer.codes(), ["BAD_USER_INPUT"], "{}", answer.body);
    assert_eq!(answer.body["errors"][0]["extensions"]["field"], field, "{}", answer.body);
    let message = answer.body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains(mentions), "the message should mention {mentions}: {message}");
}

async fn status_seen_by(app: &TestApp, token: &str, slug: &str) -> Value {
    app.query_as(token, BY_SLUG, json!({ "slug": slug })).await["article"]["status"].clone()
}

/// Lets the clock move on, so that a later write gets a later time.
async fn tick() {
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
}

// ---------------------------------------------------------------------------------------
// Moves
// ---------------------------------------------------------------------------------------

async fn an_article_goes_through_every_state(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "news").await;
    let draft = create_article(&app, &editor, &section, "Harbour Reopens").await;
    let id = id_of(&draft);
    assert_eq!((&draft["status"], &draft["publishedAt"]), (&json!("DRAFT"), &Value::Null));
    let slug = "harbour-reopens";
    assert_eq!(app.query(BY_SLUG, json!({ "slug": slug })).await["article"], Value::Null, "drafts are not public");

    let in_review = advance(&app, &editor, Step::Submit, &id).await;
    assert_eq!((&in_review["status"], &in_review["publishedAt"]), (&json!("IN_REVIEW"), &Value::Null));
    assert_eq!(app.query(BY_SLUG, json!({ "slug": slug })).await["article"], Value::Null);

    let before = now();
    let published = advance(&app, &editor, Step::Publish, &id).await;
    assert_eq!(published["status"], "PUBLISHED");
    let published_at = time(&published["publishedAt"]);
    assert!(published_at >= before && published_at <= now(), "{published_at}");
    let public = app.query(BY_SLUG, json!({ "slug": slug })).await;
    assert_eq!(public["article"]["status"], "PUBLISHED");
    assert_eq!(public["article"]["publishedAt"], published["publishedAt"]);
    assert_eq!(app.query(PUBLIC_LIST, json!({})).await["articles"]["totalCount"], 1);

    let archived = advance(&app, &editor, Step::Archive, &id).await;
    assert_eq!(archived["status"], "ARCHIVED");
    assert_eq!(app.query(BY_SLUG, json!({ "slug": slug })).await["article"], Value::Null, "archived is not public");
    assert_eq!(app.query(PUBLIC_LIST, json!({})).await["articles"]["totalCount"], 0);

    let unpublished = advance(&app, &editor, Step::Unpublish, &id).await;
    assert_eq!(unpublished["status"], "DRAFT");
    assert_eq!(unpublished["publishedAt"], published["publishedAt"], "unpublishing keeps the first publication");

    let at = rfc3339(now() + chrono::Duration::days(2));
    let scheduled = schedule(&app, Some(&editor), &id, &at).await;
    let scheduled = &scheduled.assert_ok()["scheduleArticle"];
    assert_eq!((&scheduled["status"], &scheduled["scheduledAt"]), (&json!("SCHEDULED"), &json!(at)));
    assert_eq!(app.query(BY_SLUG, json!({ "slug": slug })).await["article"], Value::Null, "scheduled is not public");
    assert_eq!(app.query(NODE, json!({ "id": id })).await["node"], Value::Null);

    let republished = advance(&app, &editor, Step::Publish, &id).await;
    assert_eq!(republished["status"], "PUBLISHED");
    assert_eq!(republished["scheduledAt"], Value::Null, "publishing now clears the schedule");
    assert_eq!(republished["publishedAt"], published["publishedAt"]);
    assert_eq!(app.query(NODE, json!({ "id": id })).await["node"]["id"], id.as_str());

    // Editors may skip the review, straight to PUBLISHED or SCHEDULED.
    let quick = id_of(&create_article(&app, &editor, &section, "Breaking").await);
    assert_eq!(advance(&app, &editor, Step::Publish, &quick).await["status"], "PUBLISHED");
    let later = id_of(&create_article(&app, &editor, &section, "Tomorrow").await);
    let answer = schedule(&app, Some(&editor), &later, &at).await;
    assert_eq!(answer.assert_ok()["scheduleArticle"]["status"], "SCHEDULED");
    let rescheduled_at = rfc3339(now() + chrono::Duration::days(3));
    let answer = schedule(&app, Some(&editor), &later, &rescheduled_at).await;
    assert_eq!(answer.assert_ok()["scheduleArticle"]["scheduledAt"], rescheduled_at.as_str(), "rescheduling moves it");
    let listed = app.query(PUBLIC_LIST, json!({})).await;
    let slugs: Vec<&str> =
        listed["articles"]["nodes"].as_array().unwrap().iter().map(|a| a["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs.len(), 2, "{listed}");
    assert!(slugs.contains(&"breaking") && slugs.contains(&"harbour-reopens"), "{listed}");
}
on_both!(an_article_goes_through_every_state);

async fn illegal_moves_name_the_current_state(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "news").await;
    let draft = id_of(&create_article(&app, &editor, &section, "Still a Draft").await);
    let in_review = id_of(&create_article(&app, &editor, &section, "Under Review").await);
    advance(&app, &editor, Step::Submit, &in_review).await;
    let published = id_of(&create_article(&app, &editor, &section, "Out There").await);
    advance(&app, &editor, Step::Publish, &published).await;
    let archived = id_of(&create_article(&app, &editor, &section, "Old News").await);
    advance(&app, &editor, Step::Publish, &archived).await;
    advance(&app, &editor, Step::Archive, &archived).await;
    let scheduled = id_of(&create_article(&app, &editor, &section, "Coming Soon").await);
    let at = rfc3339(now() + chrono::Duration::days(1));
    schedule(&app, Some(&editor), &scheduled, &at).await.assert_ok();

    let refused = [
        (&draft, Step::Archive, "DRAFT"),
        (&draft, Step::Unpublish, "DRAFT"),
        (&in_review, Step::Submit, "IN_REVIEW"),
        (&in_review, Step::Archive, "IN_REVIEW"),
        (&in_review, Step::Unpublish, "IN_REVIEW"),
        (&published, Step::Submit, "PUBLISHED"),
        (&published, Step::Publish, "PUBLISHED"),
        (&archived, Step::Publish, "ARCHIVED"),
        (&archived, Step::Archive, "ARCHIVED"),
        (&archived, Step::Submit, "ARCHIVED"),
        (&scheduled, Step::Archive, "SCHEDULED"),
        (&scheduled, Step::Submit, "SCHEDULED"),
    ];
    for (id, step, state) in refused {
        let answer = take(&app, Some(&editor), step, id).await;
        assert_eq!(answer.codes(), ["BAD_USER_INPUT"], "{step:?} of a {state} article: {}", answer.body);
        let message = answer.body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(state), "{step:?}: the message names the state {state}: {message}");
    }
    for (id, state) in [(&published, "PUBLISHED"), (&archived, "ARCHIVED")] {
        let answer = schedule(&app, Some(&editor), id, &at).await;
        assert_bad_input(&answer, "id", state);
    }

    // Nothing moved.
    for (slug, state) in [
        ("still-a-draft", "DRAFT"),
        ("under-review", "IN_REVIEW"),
        ("out-there", "PUBLISHED"),
        ("old-news", "ARCHIVED"),
        ("coming-soon", "SCHEDULED"),
    ] {
        assert_eq!(status_seen_by(&app, &editor, slug).await, state, "{slug}");
    }
}
on_both!(illegal_moves_name_the_current_state);

// ---------------------------------------------------------------------------------------
// Who may move what
// ---------------------------------------------------------------------------------------

async fn contributors_write_and_submit_their_own_drafts_only(app: TestApp) {
    let (_, writer) = app.staff(Role::Contributor).await;
    let (_, colleague) = app.staff(Role::Contributor).await;
    let (_, editor) = app.staff(Role::Editor).await;
    let (_, admin) = app.staff(Role::Admin).await;
    let section = create_section(&app, &editor, "news").await;

    let own = create_article(&app, &writer, &section, "Local Election Results").await;
    let id = id_of(&own);
    assert_eq!(own["status"], "DRAFT");
    let edited = update(&app, Some(&writer), &id, json!({ "headline": "Local Election: Results" })).await;
    assert_eq!(edited.assert_ok()["updateArticle"]["headline"], "Local Election: Results");

    // Another contributor cannot even see the draft.
    let answer = update(&app, Some(&colleague), &id, json!({ "headline": "Hijacked" })).await;
    assert_code(&answer, "NOT_FOUND");
    assert_code(&take(&app, Some(&colleague), Step::Submit, &id).await, "NOT_FOUND");
    assert_code(&app.post(Some(&colleague), RESTORE, json!({ "id": id })).await, "NOT_FOUND");
    assert_eq!(
        app.query_as(&colleague, BY_SLUG, json!({ "slug": "local-election-results" })).await["article"],
        Value::Null
    );
    // Nor an editor's.
    let editors_draft = id_of(&create_article(&app, &editor, &section, "Editorial Plans").await);
    assert_code(&update(&app, Some(&writer), &editors_draft, json!({ "headline": "Mine now" })).await, "NOT_FOUND");
    assert_code(&take(&app, Some(&writer), Step::Submit, &editors_draft).await, "NOT_FOUND");

    // Only editors and admins publish, schedule, unpublish, archive and delete.
    let at = rfc3339(now() + chrono::Duration::days(1));
    for token in [&writer, &colleague] {
        for step in [Step::Publish, Step::Unpublish, Step::Archive] {
            assert_code(&take(&app, Some(token), step, &id).await, "FORBIDDEN");
        }
        assert_code(&schedule(&app, Some(token), &id, &at).await, "FORBIDDEN");
        assert_code(&app.post(Some(token), DELETE, json!({ "id": id })).await, "FORBIDDEN");
    }
    // Anonymous callers are asked to sign in.
    for step in [Step::Submit, Step::Publish, Step::Unpublish, Step::Archive] {
        assert_code(&take(&app, None, step, &id).await, "UNAUTHENTICATED");
    }
    assert_code(&schedule(&app, None, &id, &at).await, "UNAUTHENTICATED");
    assert_code(&app.post(None, DELETE, json!({ "id": id })).await, "UNAUTHENTICATED");
    assert_code(&update(&app, None, &id, json!({ "headline": "Anonymous" })).await, "UNAUTHENTICATED");
    let input = json!({ "headline": "Anonymous", "bodyMarkdown": "x", "sectionId": section });
    assert_code(&app.post(None, CREATE_ARTICLE, json!({ "input": input })).await, "UNAUTHENTICATED");
    assert_eq!(status_seen_by(&app, &writer, "local-election-results").await, "DRAFT", "none of that moved it");

    // Submitted, the draft is out of the contributor's hands.
    let submitted = advance(&app, &writer, Step::Submit, &id).await;
    assert_eq!(submitted["status"], "IN_REVIEW");
    let answer = update(&app, Some(&writer), &id, json!({ "headline": "Last-minute change" })).await;
    assert_code(&answer, "FORBIDDEN");
    assert_code(&app.post(Some(&writer), RESTORE, json!({ "id": id })).await, "FORBIDDEN");
    let seen = app.query_as(&writer, BY_SLUG, json!({ "slug": "local-election-results" })).await;
    assert_eq!(
        (&seen["article"]["status"], &seen["article"]["headline"]),
        (&json!("IN_REVIEW"), &json!("Local Election: Results")),
        "the contributor still sees it, unchanged"
    );

    // Editors edit and publish it; admins archive and delete.
    let fixed = update(&app, Some(&editor), &id, json!({ "headline": "Local Election: The Results" })).await;
    assert_eq!(fixed.assert_ok()["updateArticle"]["headline"], "Local Election: The Results");
    assert_eq!(advance(&app, &editor, Step::Publish, &id).await["status"], "PUBLISHED");
    assert_code(&update(&app, Some(&writer), &id, json!({ "headline": "After the fact" })).await, "FORBIDDEN");
    assert_eq!(advance(&app, &admin, Step::Archive, &id).await["status"], "ARCHIVED");
    assert_eq!(advance(&app, &admin, Step::Unpublish, &id).await["status"], "DRAFT");
    let deleted = app.post(Some(&admin), DELETE, json!({ "id": id })).await;
    assert_eq!(deleted.assert_ok()["deleteArticle"], true);
    assert_eq!(
        app.query_as(&writer, BY_SLUG, json!({ "slug": "local-election-results" })).await["article"],
        Value::Null
    );
}
on_both!(contributors_write_and_submit_their_own_drafts_only);

// ---------------------------------------------------------------------------------------
// Times
// ---------------------------------------------------------------------------------------

async fn published_at_is_set_once(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "news").await;
    let created = create_article(&app, &editor, &section, "Bridge Opens").await;
    let id = id_of(&created);
    tick().await;
    let published = advance(&app, &editor, Step::Publish, &id).await;
    let first_publication = published["publishedAt"].clone();
    assert!(time(&published["updatedAt"]) > time(&created["updatedAt"]));

    let mut last_update = time(&published["updatedAt"]);
    let changes = [
        json!({ "headline": "Bridge Opens to Traffic" }),
        json!({ "bodyMarkdown": "Cars are crossing." }),
        json!({ "tags": ["Transport"] }),
    ];
    for change in changes {
        tick().await;
        let answer = update(&app, Some(&editor), &id, change).await;
        let edited = &answer.assert_ok()["updateArticle"];
        assert_eq!(edited["publishedAt"], first_publication, "an edit keeps publishedAt");
        assert_eq!(edited["status"], "PUBLISHED", "an edit keeps the status");
        let updated_at = time(&edited["updatedAt"]);
        assert!(updated_at > last_update, "updatedAt moves: {updated_at} after {last_update}");
        last_update = updated_at;
    }

    for step in [Step::Unpublish, Step::Publish, Step::Archive, Step::Unpublish, Step::Publish] {
        tick().await;
        let moved = advance(&app, &editor, step, &id).await;
        assert_eq!(moved["publishedAt"], first_publication, "{step:?} keeps publishedAt");
        let updated_at = time(&moved["updatedAt"]);
        assert!(updated_at > last_update, "{step:?} moves updatedAt");
        last_update = updated_at;
    }
    let public = app.query(BY_SLUG, json!({ "slug": "bridge-opens" })).await;
    assert_eq!(public["article"]["publishedAt"], first_publication);
    assert_eq!(public["article"]["headline"], "Bridge Opens to Traffic");
}
on_both!(published_at_is_set_once);

async fn scheduling_needs_a_future_time(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "news").await;
    let id = id_of(&create_article(&app, &editor, &section, "Eclipse Tonight").await);

    for past in [rfc3339(now() - chrono::Duration::minutes(1)), "2001-01-01T00:00:00Z".to_owned()] {
        let answer = schedule(&app, Some(&editor), &id, &past).await;
        assert_bad_input(&answer, "publishAt", "future");
    }
    assert_eq!(status_seen_by(&app, &editor, "eclipse-tonight").await, "DRAFT");

    let at = rfc3339(now() + chrono::Duration::hours(6));
    let answer = schedule(&app, Some(&editor), &id, &at).await;
    let scheduled = &answer.assert_ok()["scheduleArticle"];
    assert_eq!(
        (&scheduled["status"], &scheduled["scheduledAt"], &scheduled["publishedAt"]),
        (&json!("SCHEDULED"), &json!(at), &Value::Null)
    );

    assert_eq!(app.query(BY_SLUG, json!({ "slug": "eclipse-tonight" })).await["article"], Value::Null);
    assert_eq!(app.query(PUBLIC_LIST, json!({})).await["articles"], json!({ "totalCount": 0, "nodes": [] }));
    assert_eq!(app.query(NODE, json!({ "id": id })).await["node"], Value::Null);
    let staff = app
        .query_as(&editor, "{ articles(filter: { status: SCHEDULED }) { nodes { slug scheduledAt } } }", json!({}))
        .await;
    assert_eq!(staff["articles"]["nodes"], json!([{ "slug": "eclipse-tonight", "scheduledAt": at }]));

    let answer = schedule(&app, Some(&editor), &id, &rfc3339(ago(5))).await;
    assert_bad_input(&answer, "publishAt", "future");
    let kept = app
        .query_as(
            &editor,
            "query($s: String!) { article(slug: $s) { scheduledAt } }",
            json!({ "s": "eclipse-tonight" }),
        )
        .await;
    assert_eq!(kept["article"]["scheduledAt"], at.as_str(), "a refused reschedule keeps the time");

    let unscheduled = advance(&app, &editor, Step::Unpublish, &id).await;
    assert_eq!((&unscheduled["status"], &unscheduled["scheduledAt"]), (&json!("DRAFT"), &Value::Null));
}
on_both!(scheduling_needs_a_future_time);

// ---------------------------------------------------------------------------------------
// Deletion
// ---------------------------------------------------------------------------------------

async fn deleting_an_article_removes_it_with_its_comments(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "news").await;
    let input =
        json!({ "headline": "To Be Removed", "bodyMarkdown": "Soon gone.", "sectionId": section, "tags": ["Gone"] });
    let created = app.query_as(&editor, CREATE_ARTICLE, json!({ "input": input })).await["createArticle"].clone();
    let id = id_of(&created);
    advance(&app, &editor, Step::Publish, &id).await;
    update(&app, Some(&editor), &id, json!({ "slug": "removed-story" })).await.assert_ok();
    let keeper = id_of(&create_article(&app, &editor, &section, "Stays").await);
    advance(&app, &editor, Step::Publish, &keeper).await;

    let (kind, number) = newsroom::graphql::ids::decode(&id).expect("an article id");
    assert_eq!(kind, newsroom::graphql::ids::Kind::Article);
    let row = entity::article::Entity::find_by_id(number).one(&app.db).await.unwrap().expect("the article row");
    let first = fixtures::comment(&app.db, &row, None, CommentStatus::Approved, "Good piece", ago(3)).await;
    fixtures::comment(&app.db, &row, Some(&first), CommentStatus::Approved, "Agreed", ago(2)).await;
    fixtures::comment(&app.db, &row, None, CommentStatus::Pending, "Hmm", ago(1)).await;
    let count = "query($s: String!) { article(slug: $s) { commentCount } }";
    assert_eq!(app.query(count, json!({ "s": "removed-story" })).await["article"]["commentCount"], 2);

    let deleted = app.post(Some(&editor), DELETE, json!({ "id": id })).await;
    assert_eq!(deleted.assert_ok()["deleteArticle"], true);
    for slug in ["removed-story", "to-be-removed"] {
        assert_eq!(app.query_as(&editor, BY_SLUG, json!({ "slug": slug })).await["article"], Value::Null, "{slug}");
        assert_eq!(app.query(BY_SLUG, json!({ "slug": slug })).await["article"], Value::Null, "{slug}");
    }
    assert_eq!(app.query_as(&editor, NODE, json!({ "id": id })).await["node"], Value::Null);
    let comments =
        entity::comment::Entity::find().filter(entity::comment::Column::ArticleId.eq(number)).count(&app.db).await;
    assert_eq!(comments.unwrap(), 0, "the comments went with it");
    let revisions = entity::article_revision::Entity::find()
        .filter(entity::article_revision::Column::ArticleId.eq(number))
        .count(&app.db)
        .await;
    assert_eq!(revisions.unwrap(), 0, "and its revisions");
    let listed = app.query_as(&editor, "{ articles { totalCount nodes { slug } } }", json!({})).await;
    assert_eq!(listed["articles"], json!({ "totalCount": 1, "nodes": [{ "slug": "stays" }] }));

    // Its slugs, old and new, are free again.
    for slug in ["to-be-removed", "removed-story"] {
        let input = json!({ "headline": "Another Story", "slug": slug, "bodyMarkdown": "New.", "sectionId": section });
        let answer = app.post(Some(&editor), CREATE_ARTICLE, json!({ "input": input })).await;
        assert_eq!(answer.assert_ok()["createArticle"]["slug"], slug);
    }

    assert_code(&app.post(Some(&editor), DELETE, json!({ "id": id })).await, "NOT_FOUND");
    let garbage = app.post(Some(&editor), DELETE, json!({ "id": "garbage" })).await;
    assert_bad_input(&garbage, "id", "id");
    let wrong_kind = app.post(Some(&editor), DELETE, json!({ "id": section })).await;
    assert_bad_input(&wrong_kind, "id", "Section");
}
on_both!(deleting_an_article_removes_it_with_its_comments);
