//! Relay pagination of article lists and of the connections nested under sections,
//! authors, tags, articles and comments: keyset cursors that stay stable while rows are
//! inserted, page-size limits, filters, visibility and orderings.

use std::collections::HashSet;

use crate::common::TestApp;
use crate::common::fixtures::{self, ArticleSpec, ago, now};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use entity::article;
use entity::comment::CommentStatus;
use entity::user::Role;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};

const PAGE: &str = "query Page($first: Int, $after: String, $last: Int, $before: String, $filter: ArticleFilter, $orderBy: ArticleOrder) {
  articles(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
    edges { cursor node { slug status publishedAt } }
    pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
    totalCount
  }
}";

/// The slugs of a connection's edges, in order.
fn slugs(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no edges in {connection}"))
        .iter()
        .map(|edge| edge["node"]["slug"].as_str().expect("slug").to_owned())
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn page_info(connection: &Value) -> (bool, bool) {
    let info = &connection["pageInfo"];
    (info["hasPreviousPage"].as_bool().expect("hasPreviousPage"), info["hasNextPage"].as_bool().expect("hasNextPage"))
}

fn total(connection: &Value) -> i64 {
    connection["totalCount"].as_i64().unwrap_or_else(|| panic!("no totalCount in {connection}"))
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// startCursor and endCursor are the cursors of the first and last edges.
#[track_caller]
fn assert_cursors_match_edges(connection: &Value) {
    let edges = connection["edges"].as_array().expect("edges");
    let info = &connection["pageInfo"];
    assert_eq!(info["startCursor"], edges.first().map(|e| e["cursor"].clone()).unwrap_or(Value::Null), "{connection}");
    assert_eq!(info["endCursor"], edges.last().map(|e| e["cursor"].clone()).unwrap_or(Value::Null), "{connection}");
}

/// No slug twice, and publishedAt never rises along the list (newest first).
#[track_caller]
fn assert_walk_is_consistent(walked: &[(String, String)]) {
    let mut seen = HashSet::new();
    for (slug, _) in walked {
        assert!(seen.insert(slug.clone()), "{slug} was returned twice: {walked:?}");
    }
    for pair in walked.windows(2) {
        let earlier = DateTime::parse_from_rfc3339(&pair[0].1).unwrap();
        let later = DateTime::parse_from_rfc3339(&pair[1].1).unwrap();
        assert!(earlier >= later, "out of order: {pair:?}");
    }
}

/// Slugs with their publishedAt, from a page.
fn slugs_and_times(connection: &Value) -> Vec<(String, String)> {
    connection["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            (e["node"]["slug"].as_str().unwrap().to_owned(), e["node"]["publishedAt"].as_str().unwrap().to_owned())
        })
        .collect()
}

/// Eleven published articles, newest first p01..p11, published 10, 20, 30, 30, 50, 60, 60,
/// 80, 90, 100 and 110 minutes before `base`; inserted out of order so that ids do not
/// follow dates, and with two pairs sharing a publishedAt (p03 has a higher id than p04,
/// p06 than p07, so they come first). Plus a draft and an article scheduled for tomorrow,
/// which the public never sees.
async fn eleven_articles(app: &TestApp, base: DateTime<Utc>) -> (entity::section::Model, Vec<String>) {
    let news = fixtures::section(&app.db, "news", "News", None).await;
    let minutes = |slug: &str| -> i64 {
        match slug {
            "p01" => 10,
            "p02" => 20,
            "p03" | "p04" => 30,
            "p05" => 50,
            "p06" | "p07" => 60,
            "p08" => 80,
            "p09" => 90,
            "p10" => 100,
            "p11" => 110,
            _ => unreachable!(),
        }
    };
    for slug in ["p11", "p04", "p01", "p07", "p09", "p02", "p03", "p06", "p05", "p10", "p08"] {
        fixtures::article(&app.db, ArticleSpec::published(slug, &news, base - Duration::minutes(minutes(slug)))).await;
    }
    fixtures::article(&app.db, ArticleSpec::draft("hidden-draft", &news)).await;
    fixtures::article(&app.db, ArticleSpec::published("hidden-future", &news, now() + Duration::days(1))).await;
    let expected = (1..=11).map(|n| format!("p{n:02}")).collect();
    (news, expected)
}

async fn forward_walk_is_stable_under_inserts(app: TestApp) {
    let base = now();
    let (news, originals) = eleven_articles(&app, base).await;
    let at = |minutes: i64| base - Duration::minutes(minutes);

    let mut walked: Vec<(String, String)> = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let data = app.query(PAGE, json!({ "first": 3, "after": after })).await;
        let connection = &data["articles"];
        assert_cursors_match_edges(connection);
        let (has_previous, has_next) = page_info(connection);
        assert_eq!(has_previous, pages > 0, "hasPreviousPage of page {}: {connection}", pages + 1);
        if pages == 0 {
            assert_eq!(slugs(connection), ["p01", "p02", "p03"]);
            assert_eq!(total(connection), 11, "totalCount counts what the public sees");
        }
        walked.extend(slugs_and_times(connection));
        pages += 1;
        assert!(pages <= 10, "the walk does not end: {walked:?}");
        if !has_next {
            assert_eq!(total(connection), 17, "totalCount on the last page counts the inserted articles too");
            break;
        }
        assert_eq!(connection["edges"].as_array().unwrap().len(), 3, "a page that has a next one is full");
        after = connection["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        // Between page requests, other people publish.
        match pages {
            1 => {
                fixtures::article(&app.db, ArticleSpec::published("new-top-1", &news, now())).await;
                fixtures::article(&app.db, ArticleSpec::published("new-mid", &news, at(85))).await;
            }
            2 => {
                fixtures::article(&app.db, ArticleSpec::published("new-top-2", &news, now())).await;
                // Same publishedAt as p06 (the last item seen) with a higher id: it sorts
                // before p06, so it is behind the cursor.
                fixtures::article(&app.db, ArticleSpec::published("new-tie", &news, at(60))).await;
                fixtures::article(&app.db, ArticleSpec::published("new-behind", &news, at(15))).await;
            }
            3 => {
                fixtures::article(&app.db, ArticleSpec::published("new-oldest", &news, at(500))).await;
            }
            _ => {}
        }
    }

    assert_walk_is_consistent(&walked);
    let walked_slugs: Vec<String> = walked.iter().map(|(slug, _)| slug.clone()).collect();
    let originals_seen: Vec<String> = walked_slugs.iter().filter(|s| originals.contains(s)).cloned().collect();
    assert_eq!(originals_seen, originals, "every article that existed at the start, once, in order");
    // Keyset cursors: what was inserted ahead of the cursor shows up, what was inserted
    // behind it does not.
    assert_eq!(
        walked_slugs,
        ["p01", "p02", "p03", "p04", "p05", "p06", "p07", "p08", "new-mid", "p09", "p10", "p11", "new-oldest"]
    );
    assert_eq!(pages, 5);
}
on_both!(forward_walk_is_stable_under_inserts);

async fn backward_walk_is_complete(app: TestApp) {
    let base = now();
    let (news, originals) = eleven_articles(&app, base).await;

    let mut pages_walked: Vec<Vec<(String, String)>> = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let data = app.query(PAGE, json!({ "last": 4, "before": before })).await;
        let connection = &data["articles"];
        assert_cursors_match_edges(connection);
        let (has_previous, has_next) = page_info(connection);
        assert_eq!(
            has_next,
            !pages_walked.is_empty(),
            "hasNextPage of backward page {}: {connection}",
            pages_walked.len() + 1
        );
        if pages_walked.is_empty() {
            assert_eq!(slugs(connection), ["p08", "p09", "p10", "p11"], "last: 4 is the oldest four, in list order");
        }
        pages_walked.push(slugs_and_times(connection));
        assert!(pages_walked.len() <= 10, "the walk does not end: {pages_walked:?}");
        if !has_previous {
            break;
        }
        assert_eq!(connection["edges"].as_array().unwrap().len(), 4, "a page that has a previous one is full");
        before = connection["pageInfo"]["startCursor"].as_str().map(str::to_owned);
        if pages_walked.len() == 1 {
            // Ahead of the cursor: will be seen. Behind it (older than p08): will not.
            fixtures::article(&app.db, ArticleSpec::published("new-top", &news, now())).await;
            fixtures::article(&app.db, ArticleSpec::published("new-oldest", &news, base - Duration::minutes(500)))
                .await;
            // Ties with p06 and p07 and has the highest id, so it sorts just before p06.
            fixtures::article(&app.db, ArticleSpec::published("new-tie", &news, base - Duration::minutes(60))).await;
        }
    }

    let walked: Vec<(String, String)> = pages_walked.into_iter().rev().flatten().collect();
    assert_walk_is_consistent(&walked);
    let walked_slugs: Vec<String> = walked.iter().map(|(slug, _)| slug.clone()).collect();
    let originals_seen: Vec<String> = walked_slugs.iter().filter(|s| originals.contains(s)).cloned().collect();
    assert_eq!(originals_seen, originals, "every article that existed at the start, once, in order");
    assert_eq!(
        walked_slugs,
        ["new-top", "p01", "p02", "p03", "p04", "p05", "new-tie", "p06", "p07", "p08", "p09", "p10", "p11"]
    );
}
on_both!(backward_walk_is_complete);

async fn page_sizes_and_bad_arguments(app: TestApp) {
    let desk = fixtures::section(&app.db, "desk", "Desk", None).await;
    for n in 1..=25 {
        fixtures::article(&app.db, ArticleSpec::published(&format!("a{n:02}"), &desk, ago(n))).await;
    }
    fixtures::article(&app.db, ArticleSpec::draft("a-draft", &desk)).await;
    fixtures::article(&app.db, ArticleSpec::published("a-tomorrow", &desk, now() + Duration::days(1))).await;

    let default = app.query(PAGE, json!({})).await;
    let expected: Vec<String> = (1..=20).map(|n| format!("a{n:02}")).collect();
    assert_eq!(slugs(&default["articles"]), expected, "20 newest when first is absent");
    assert_eq!(page_info(&default["articles"]), (false, true));
    assert_eq!(total(&default["articles"]), 25, "the draft and the scheduled article are not counted");

    let hundred = app.query(PAGE, json!({ "first": 100 })).await;
    let expected: Vec<String> = (1..=25).map(|n| format!("a{n:02}")).collect();
    assert_eq!(slugs(&hundred["articles"]), expected);
    assert_eq!(page_info(&hundred["articles"]), (false, false));

    let last_hundred = app.query(PAGE, json!({ "last": 100 })).await;
    assert_eq!(slugs(&last_hundred["articles"]), expected);
    assert_eq!(page_info(&last_hundred["articles"]), (false, false));

    let (_, editor) = app.staff(Role::Editor).await;
    let everything = app.query_as(&editor, PAGE, json!({ "first": 100 })).await;
    assert_eq!(total(&everything["articles"]), 27, "editors count drafts and scheduled articles");
    assert_eq!(everything["articles"]["edges"].as_array().unwrap().len(), 27);

    let valid_cursor = default["articles"]["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
    let refused = [
        ("first: 101", json!({ "first": 101 }), "first"),
        ("first: -1", json!({ "first": -1 }), "first"),
        ("last: -5", json!({ "last": -5 }), "last"),
        ("last: 101", json!({ "last": 101 }), "last"),
        ("after: garbage", json!({ "after": "garbage" }), "after"),
        ("after: empty", json!({ "after": "" }), "after"),
        ("before: garbage", json!({ "before": "!!not a cursor!!" }), "before"),
        ("first and last", json!({ "first": 2, "last": 2 }), ""),
        ("first and before", json!({ "first": 2, "before": valid_cursor }), ""),
        ("after and last", json!({ "after": valid_cursor, "last": 2 }), ""),
    ];
    for (label, variables, field) in refused {
        let answer = app.post(None, PAGE, variables).await;
        assert_eq!(answer.codes(), ["BAD_USER_INPUT"], "{label}: {}", answer.body);
        assert!(answer.body["data"]["articles"].is_null(), "{label}: no data for the field: {}", answer.body);
        if !field.is_empty() {
            assert_eq!(answer.body["errors"][0]["extensions"]["field"], field, "{label}: {}", answer.body);
        }
    }

    // The valid cursor still works once the bad requests are through.
    let next = app.query(PAGE, json!({ "first": 10, "after": valid_cursor })).await;
    assert_eq!(slugs(&next["articles"]), ["a21", "a22", "a23", "a24", "a25"]);
    assert_eq!(page_info(&next["articles"]), (true, false));
}
on_both!(page_sizes_and_bad_arguments);

/// A cursor is only good for the list it came from: one from a search (ranked by score)
/// given to the article list (ordered by time), or the other way round, is bad input,
/// like any other cursor that is not the list's own.
async fn cursors_of_another_list_are_refused(app: TestApp) {
    let desk = fixtures::section(&app.db, "desk", "Desk", None).await;
    for n in 1..=3 {
        let spec = ArticleSpec::published(&format!("flood-{n}"), &desk, ago(n));
        fixtures::article(&app.db, spec).await;
    }
    let search = "query($first: Int, $after: String) {
      searchArticles(query: \"flood\", first: $first, after: $after) {
        edges { node { slug } } pageInfo { endCursor } } }";
    let found = app.query(search, json!({ "first": 1 })).await;
    let search_cursor = found["searchArticles"]["pageInfo"]["endCursor"].clone();
    assert!(search_cursor.is_string(), "{found}");
    let listed = app.query(PAGE, json!({ "first": 1 })).await;
    let article_cursor = listed["articles"]["pageInfo"]["endCursor"].clone();
    assert!(article_cursor.is_string(), "{listed}");

    let cases = [
        ("a search cursor in articles(after:)", PAGE, json!({ "first": 2, "after": search_cursor }), "articles"),
        ("a search cursor in articles(before:)", PAGE, json!({ "last": 2, "before": search_cursor }), "articles"),
        (
            "an article cursor in searchArticles(after:)",
            search,
            json!({ "first": 2, "after": article_cursor }),
            "searchArticles",
        ),
    ];
    // Every case is tried before the verdict, so that a failure shows all of them.
    let mut wrong = Vec::new();
    for (label, query, variables, field) in cases {
        let answer = app.post(None, query, variables).await;
        if answer.codes() != ["BAD_USER_INPUT"] || !answer.body["data"][field].is_null() {
            wrong.push(format!("{label}: {}", answer.body));
        }
    }
    assert!(wrong.is_empty(), "cursors of another list must be BAD_USER_INPUT:\n{}", wrong.join("\n"));
}
on_both!(cursors_of_another_list_are_refused);

async fn filters_visibility_and_orderings(app: TestApp) {
    let world = fixtures::section(&app.db, "world", "World", None).await;
    let asia = fixtures::section(&app.db, "asia", "Asia", Some(&world)).await;
    let japan = fixtures::section(&app.db, "japan", "Japan", Some(&asia)).await;
    let europe = fixtures::section(&app.db, "europe", "Europe", Some(&world)).await;
    let sport = fixtures::section(&app.db, "sport", "Sport", None).await;
    let politics = fixtures::tag(&app.db, "politics", "Politics").await;
    let jane = fixtures::author(&app.db, "jane-doe", "Jane Doe").await;
    let omar = fixtures::author(&app.db, "omar-ali", "Omar Ali").await;
    let (contributor, contributor_token) = app.staff(Role::Contributor).await;
    let (_, editor) = app.staff(Role::Editor).await;

    let base = now();
    let at = |minutes: i64| base - Duration::minutes(minutes);
    let w1 = fixtures::article(
        &app.db,
        ArticleSpec { tags: vec![&politics], authors: vec![&jane], ..ArticleSpec::published("w-1", &world, at(10)) },
    )
    .await;
    let asia1 = fixtures::article(
        &app.db,
        ArticleSpec { authors: vec![&omar], ..ArticleSpec::published("asia-1", &asia, at(20)) },
    )
    .await;
    let japan1 = fixtures::article(
        &app.db,
        ArticleSpec { tags: vec![&politics], ..ArticleSpec::published("japan-1", &japan, at(30)) },
    )
    .await;
    let eu1 = fixtures::article(
        &app.db,
        ArticleSpec { authors: vec![&jane, &omar], ..ArticleSpec::published("eu-1", &europe, at(40)) },
    )
    .await;
    let sp1 = fixtures::article(
        &app.db,
        ArticleSpec { tags: vec![&politics], ..ArticleSpec::published("sp-1", &sport, at(50)) },
    )
    .await;
    // Drafts carrying the same section, tag and author: the public never sees them.
    fixtures::article(
        &app.db,
        ArticleSpec {
            created_by: Some(contributor.id),
            tags: vec![&politics],
            authors: vec![&jane],
            ..ArticleSpec::draft("contrib-draft", &asia)
        },
    )
    .await;
    fixtures::article(&app.db, ArticleSpec { tags: vec![&politics], ..ArticleSpec::draft("other-draft", &sport) })
        .await;

    let filtered = |filter: Value| {
        let app = &app;
        async move { app.query(PAGE, json!({ "filter": filter })).await["articles"].clone() }
    };
    let cases = [
        (json!({ "section": "world" }), vec!["w-1", "asia-1", "japan-1", "eu-1"]),
        (json!({ "section": "asia" }), vec!["asia-1", "japan-1"]),
        (json!({ "section": "japan" }), vec!["japan-1"]),
        (json!({ "section": "europe" }), vec!["eu-1"]),
        (json!({ "section": "sport" }), vec!["sp-1"]),
        (json!({ "section": "no-such-section" }), vec![]),
        (json!({ "tag": "politics" }), vec!["w-1", "japan-1", "sp-1"]),
        (json!({ "tag": "no-such-tag" }), vec![]),
        (json!({ "author": "jane-doe" }), vec!["w-1", "eu-1"]),
        (json!({ "author": "omar-ali" }), vec!["asia-1", "eu-1"]),
        (json!({ "author": "no-such-author" }), vec![]),
        (json!({ "section": "world", "tag": "politics" }), vec!["w-1", "japan-1"]),
        (json!({ "section": "asia", "author": "jane-doe" }), vec![]),
        (json!({ "status": "PUBLISHED", "section": "sport" }), vec!["sp-1"]),
        (json!({ "publishedAfter": rfc3339(at(30)) }), vec!["w-1", "asia-1", "japan-1"]),
        (json!({ "publishedBefore": rfc3339(at(20)) }), vec!["japan-1", "eu-1", "sp-1"]),
        (json!({ "publishedAfter": rfc3339(at(40)), "publishedBefore": rfc3339(at(20)) }), vec!["japan-1", "eu-1"]),
        (json!({ "publishedAfter": rfc3339(at(30)), "publishedBefore": rfc3339(at(30)) }), vec![]),
        // The same instant written with an offset.
        (
            json!({ "publishedAfter": at(30).with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap()).to_rfc3339_opts(SecondsFormat::Micros, false) }),
            vec!["w-1", "asia-1", "japan-1"],
        ),
    ];
    for (filter, expected) in cases {
        let connection = filtered(filter.clone()).await;
        assert_eq!(slugs(&connection), strings(&expected), "filter {filter}");
        assert_eq!(total(&connection), expected.len() as i64, "totalCount with filter {filter}");
        assert_eq!(page_info(&connection), (false, false), "filter {filter}");
    }

    // Subsections are included page by page too.
    let first = app.query(PAGE, json!({ "first": 3, "filter": { "section": "world" } })).await;
    assert_eq!(slugs(&first["articles"]), ["w-1", "asia-1", "japan-1"]);
    assert_eq!(total(&first["articles"]), 4);
    let cursor = first["articles"]["pageInfo"]["endCursor"].clone();
    let second = app.query(PAGE, json!({ "first": 3, "after": cursor, "filter": { "section": "world" } })).await;
    assert_eq!(slugs(&second["articles"]), ["eu-1"]);
    assert_eq!(page_info(&second["articles"]), (true, false));

    // Status: drafts are for staff.
    let anonymous = app.post(None, PAGE, json!({ "filter": { "status": "DRAFT" } })).await;
    assert_eq!(anonymous.codes(), ["UNAUTHENTICATED"], "{}", anonymous.body);
    assert!(anonymous.body["data"]["articles"].is_null(), "{}", anonymous.body);

    let drafts = app.query_as(&editor, PAGE, json!({ "filter": { "status": "DRAFT" } })).await;
    assert_eq!(
        slugs(&drafts["articles"]),
        ["other-draft", "contrib-draft"],
        "editors see every draft, newest created first"
    );
    assert_eq!(total(&drafts["articles"]), 2);
    assert!(drafts["articles"]["edges"].as_array().unwrap().iter().all(|e| e["node"]["status"] == "DRAFT"));
    let drafts_in_sport =
        app.query_as(&editor, PAGE, json!({ "filter": { "status": "DRAFT", "section": "sport" } })).await;
    assert_eq!(slugs(&drafts_in_sport["articles"]), ["other-draft"]);

    let own = app.query_as(&contributor_token, PAGE, json!({ "filter": { "status": "DRAFT" } })).await;
    assert_eq!(slugs(&own["articles"]), ["contrib-draft"], "a contributor sees only the drafts they created");
    assert_eq!(total(&own["articles"]), 1);
    let contributor_all = app.query_as(&contributor_token, PAGE, json!({ "first": 100 })).await;
    assert_eq!(slugs(&contributor_all["articles"]), ["contrib-draft", "w-1", "asia-1", "japan-1", "eu-1", "sp-1"]);
    assert_eq!(total(&contributor_all["articles"]), 6);

    // Editors without a filter: drafts sort by their creation time, among the published.
    let editor_all = app.query_as(&editor, PAGE, json!({ "first": 4 })).await;
    assert_eq!(slugs(&editor_all["articles"]), ["other-draft", "contrib-draft", "w-1", "asia-1"]);
    assert_eq!(total(&editor_all["articles"]), 7);
    let cursor = editor_all["articles"]["pageInfo"]["endCursor"].clone();
    let editor_rest = app.query_as(&editor, PAGE, json!({ "first": 4, "after": cursor })).await;
    assert_eq!(slugs(&editor_rest["articles"]), ["japan-1", "eu-1", "sp-1"]);
    assert_eq!(page_info(&editor_rest["articles"]), (true, false));

    // Orderings. updatedAt is set so that it follows neither publishedAt nor the ids.
    for (model, minutes) in [(&w1, 100), (&asia1, 5), (&japan1, 200), (&eu1, 50), (&sp1, 1)] {
        let mut row: article::ActiveModel = model.clone().into();
        row.updated_at = Set(at(minutes));
        row.update(&app.db).await.expect("update updated_at");
    }
    let ordered = |field: &str, direction: &str, first: Option<i64>, after: Value| {
        let app = &app;
        let order = json!({ "field": field, "direction": direction });
        async move { app.query(PAGE, json!({ "orderBy": order, "first": first, "after": after })).await["articles"].clone() }
    };
    assert_eq!(
        slugs(&ordered("PUBLISHED_AT", "ASC", None, Value::Null).await),
        ["sp-1", "eu-1", "japan-1", "asia-1", "w-1"]
    );
    assert_eq!(
        slugs(&ordered("PUBLISHED_AT", "DESC", None, Value::Null).await),
        ["w-1", "asia-1", "japan-1", "eu-1", "sp-1"]
    );
    assert_eq!(
        slugs(&ordered("UPDATED_AT", "ASC", None, Value::Null).await),
        ["japan-1", "w-1", "eu-1", "asia-1", "sp-1"]
    );
    assert_eq!(
        slugs(&ordered("UPDATED_AT", "DESC", None, Value::Null).await),
        ["sp-1", "asia-1", "eu-1", "w-1", "japan-1"]
    );

    // Cursors follow the ordering they were made in.
    for (field, direction, expected) in [
        ("UPDATED_AT", "ASC", ["japan-1", "w-1", "eu-1", "asia-1", "sp-1"]),
        ("UPDATED_AT", "DESC", ["sp-1", "asia-1", "eu-1", "w-1", "japan-1"]),
        ("PUBLISHED_AT", "ASC", ["sp-1", "eu-1", "japan-1", "asia-1", "w-1"]),
    ] {
        let mut walked = Vec::new();
        let mut after = Value::Null;
        for _ in 0..5 {
            let connection = ordered(field, direction, Some(2), after.clone()).await;
            walked.extend(slugs(&connection));
            if !page_info(&connection).1 {
                break;
            }
            after = connection["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(walked, expected, "walking {field} {direction} two at a time");
    }
}
on_both!(filters_visibility_and_orderings);

/// A slug that names nothing gives an empty list, whatever characters it holds: quotes,
/// SQL or LIKE wildcards. A NUL (which PostgreSQL cannot hold in text at all) is refused
/// as bad input.
async fn odd_unknown_slugs_give_empty_lists(app: TestApp) {
    let news = fixtures::section(&app.db, "news", "News", None).await;
    let tag = fixtures::tag(&app.db, "politics", "Politics").await;
    let author = fixtures::author(&app.db, "jane-doe", "Jane Doe").await;
    fixtures::article(
        &app.db,
        ArticleSpec { tags: vec![&tag], authors: vec![&author], ..ArticleSpec::published("story", &news, ago(5)) },
    )
    .await;

    let mut wrong = Vec::new();
    for slug in ["politics\u{0}", "\u{0}"] {
        let answer = app.post(None, PAGE, json!({ "filter": { "tag": slug } })).await;
        if answer.codes() != ["BAD_USER_INPUT"] {
            wrong.push(format!("filter tag: {slug:?}: {}", answer.body));
        }
    }
    for slug in ["%", "_olitics", "politics' OR '1'='1"] {
        for key in ["section", "tag", "author"] {
            let answer = app.post(None, PAGE, json!({ "filter": { key: slug } })).await;
            let connection = &answer.body["data"]["articles"];
            if !answer.codes().is_empty() || slugs(connection) != Vec::<String>::new() || connection["totalCount"] != 0
            {
                wrong.push(format!("filter {key}: {slug:?}: {}", answer.body));
            }
        }
        let lookups = "query($slug: String!) { section(slug: $slug) { slug } author(slug: $slug) { slug } tag(slug: $slug) { slug } }";
        let answer = app.post(None, lookups, json!({ "slug": slug })).await;
        if answer.body != json!({ "data": { "section": null, "author": null, "tag": null } }) {
            wrong.push(format!("section/author/tag(slug: {slug:?}): {}", answer.body));
        }
    }
    assert!(wrong.is_empty(), "unknown slugs must give empty answers:\n{}", wrong.join("\n"));

    let known =
        app.query(PAGE, json!({ "filter": { "tag": "politics", "author": "jane-doe", "section": "news" } })).await;
    assert_eq!(slugs(&known["articles"]), ["story"]);
}
on_both!(odd_unknown_slugs_give_empty_lists);

/// Walks a nested connection two (or `first`) at a time; `pick` finds the connection in
/// the data. Returns the slugs or bodies in order and the totalCount of each page.
async fn walk_nested(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    variables: Value,
    first: i64,
    pick: impl Fn(&Value) -> Value,
    item: &str,
) -> (Vec<String>, Vec<i64>) {
    let mut items = Vec::new();
    let mut totals = Vec::new();
    let mut after = Value::Null;
    for page in 0..20 {
        let mut variables = variables.clone();
        variables["first"] = json!(first);
        variables["after"] = after.clone();
        let answer = app.post(token, query, variables).await;
        let data = answer.assert_ok();
        let connection = pick(data);
        assert_cursors_match_edges(&connection);
        let (has_previous, has_next) = page_info(&connection);
        assert_eq!(has_previous, page > 0, "hasPreviousPage on page {}: {connection}", page + 1);
        let edges = connection["edges"].as_array().expect("edges");
        assert!(edges.len() as i64 <= first, "page larger than first: {connection}");
        items.extend(edges.iter().map(|e| e["node"][item].as_str().expect("item").to_owned()));
        totals.push(total(&connection));
        if !has_next {
            return (items, totals);
        }
        assert_eq!(edges.len() as i64, first, "a page that has a next one is full");
        after = connection["pageInfo"]["endCursor"].clone();
    }
    panic!("the walk does not end: {items:?}");
}

async fn nested_article_connections(app: TestApp) {
    let world = fixtures::section(&app.db, "world", "World", None).await;
    let asia = fixtures::section(&app.db, "asia", "Asia", Some(&world)).await;
    let sport = fixtures::section(&app.db, "sport", "Sport", None).await;
    let tag = fixtures::tag(&app.db, "climate", "Climate").await;
    let jane = fixtures::author(&app.db, "jane-doe", "Jane Doe").await;
    let (_, editor) = app.staff(Role::Editor).await;

    let at = |minutes: i64| ago(minutes);
    let both = |slug: &str, section, minutes| ArticleSpec {
        tags: vec![&tag],
        authors: vec![&jane],
        ..ArticleSpec::published(slug, section, at(minutes))
    };
    fixtures::article(&app.db, both("n1", &world, 10)).await;
    fixtures::article(&app.db, both("n2", &asia, 20)).await;
    fixtures::article(&app.db, both("n3", &world, 30)).await;
    fixtures::article(&app.db, both("n4", &asia, 40)).await;
    fixtures::article(&app.db, both("n5", &world, 50)).await;
    fixtures::article(&app.db, both("s1", &sport, 15)).await;
    fixtures::article(
        &app.db,
        ArticleSpec { tags: vec![&tag], authors: vec![&jane], ..ArticleSpec::draft("n-draft", &asia) },
    )
    .await;
    fixtures::article(&app.db, both("n-future", &world, -24 * 60)).await;

    let section_query = "query($slug: String!, $first: Int, $after: String) {
      section(slug: $slug) { articles(first: $first, after: $after) {
        edges { cursor node { slug } } pageInfo { hasPreviousPage hasNextPage startCursor endCursor } totalCount } } }";
    let author_query = "query($slug: String!, $first: Int, $after: String) {
      author(slug: $slug) { articles(first: $first, after: $after) {
        edges { cursor node { slug } } pageInfo { hasPreviousPage hasNextPage startCursor endCursor } totalCount } } }";
    let tag_query = "query($slug: String!, $first: Int, $after: String) {
      tag(slug: $slug) { articles(first: $first, after: $after) {
        edges { cursor node { slug } } pageInfo { hasPreviousPage hasNextPage startCursor endCursor } totalCount } } }";

    for token in [None, Some(editor.as_str())] {
        let who = if token.is_some() { "editor" } else { "anonymous" };
        let (walked, totals) = walk_nested(
            &app,
            token,
            section_query,
            json!({ "slug": "world" }),
            2,
            |d| d["section"]["articles"].clone(),
            "slug",
        )
        .await;
        assert_eq!(walked, ["n1", "n2", "n3", "n4", "n5"], "section world with its subsection, as {who}");
        assert!(totals.iter().all(|t| *t == 5), "section totalCount as {who}: {totals:?}");

        let (walked, totals) = walk_nested(
            &app,
            token,
            section_query,
            json!({ "slug": "asia" }),
            1,
            |d| d["section"]["articles"].clone(),
            "slug",
        )
        .await;
        assert_eq!(walked, ["n2", "n4"], "section asia, as {who}");
        assert!(totals.iter().all(|t| *t == 2), "{totals:?}");

        let (walked, totals) = walk_nested(
            &app,
            token,
            author_query,
            json!({ "slug": "jane-doe" }),
            2,
            |d| d["author"]["articles"].clone(),
            "slug",
        )
        .await;
        assert_eq!(walked, ["n1", "s1", "n2", "n3", "n4", "n5"], "author's published articles, as {who}");
        assert!(totals.iter().all(|t| *t == 6), "author totalCount as {who}: {totals:?}");

        let (walked, totals) = walk_nested(
            &app,
            token,
            tag_query,
            json!({ "slug": "climate" }),
            4,
            |d| d["tag"]["articles"].clone(),
            "slug",
        )
        .await;
        assert_eq!(walked, ["n1", "s1", "n2", "n3", "n4", "n5"], "tag's published articles, as {who}");
        assert!(totals.iter().all(|t| *t == 6), "tag totalCount as {who}: {totals:?}");
    }

    let unknown = app
        .query(
            "{ section(slug: \"nope\") { slug } author(slug: \"nope\") { slug } tag(slug: \"nope\") { slug } }",
            json!({}),
        )
        .await;
    assert_eq!(unknown, json!({ "section": null, "author": null, "tag": null }));

    let bad = app.post(None, section_query, json!({ "slug": "world", "first": 101 })).await;
    assert_eq!(bad.codes(), ["BAD_USER_INPUT"], "{}", bad.body);
    let bad = app.post(None, tag_query, json!({ "slug": "climate", "first": 2, "after": "garbage" })).await;
    assert_eq!(bad.codes(), ["BAD_USER_INPUT"], "{}", bad.body);
}
on_both!(nested_article_connections);

async fn comment_threads_and_replies(app: TestApp) {
    let news = fixtures::section(&app.db, "news", "News", None).await;
    let story = fixtures::article(&app.db, ArticleSpec::published("story", &news, ago(120))).await;
    let other = fixtures::article(&app.db, ArticleSpec::published("other", &news, ago(120))).await;
    let (_, editor) = app.staff(Role::Editor).await;

    use CommentStatus::{Approved, Pending, Rejected, Spam};
    let c1 = fixtures::comment(&app.db, &story, None, Approved, "c1", ago(50)).await;
    let c2 = fixtures::comment(&app.db, &story, None, Approved, "c2", ago(40)).await;
    fixtures::comment(&app.db, &story, None, Pending, "pending", ago(35)).await;
    fixtures::comment(&app.db, &story, None, Approved, "c3", ago(30)).await;
    fixtures::comment(&app.db, &story, None, Spam, "spam", ago(25)).await;
    fixtures::comment(&app.db, &story, None, Approved, "c4", ago(20)).await;
    fixtures::comment(&app.db, &story, None, Rejected, "rejected", ago(15)).await;
    fixtures::comment(&app.db, &story, None, Approved, "c5", ago(10)).await;
    fixtures::comment(&app.db, &other, None, Approved, "elsewhere", ago(45)).await;
    fixtures::comment(&app.db, &story, Some(&c1), Approved, "r1", ago(45)).await;
    fixtures::comment(&app.db, &story, Some(&c1), Pending, "r-pending", ago(44)).await;
    fixtures::comment(&app.db, &story, Some(&c1), Approved, "r2", ago(43)).await;
    fixtures::comment(&app.db, &story, Some(&c1), Spam, "r-spam", ago(42)).await;
    fixtures::comment(&app.db, &story, Some(&c1), Approved, "r3", ago(41)).await;
    fixtures::comment(&app.db, &story, Some(&c2), Approved, "q1", ago(38)).await;
    fixtures::comment(&app.db, &story, Some(&c2), Pending, "q-pending", ago(37)).await;

    let thread = "query($first: Int, $after: String, $order: CommentOrder) {
      article(slug: \"story\") { commentCount comments(first: $first, after: $after, order: $order) {
        edges { cursor node { body status } } pageInfo { hasPreviousPage hasNextPage startCursor endCursor } totalCount } } }";
    for token in [None, Some(editor.as_str())] {
        let who = if token.is_some() { "editor" } else { "anonymous" };
        for (order, expected) in [
            (Value::Null, ["c1", "c2", "c3", "c4", "c5"]),
            (json!("OLDEST_FIRST"), ["c1", "c2", "c3", "c4", "c5"]),
            (json!("NEWEST_FIRST"), ["c5", "c4", "c3", "c2", "c1"]),
        ] {
            let (walked, totals) = walk_nested(
                &app,
                token,
                thread,
                json!({ "order": order }),
                2,
                |d| d["article"]["comments"].clone(),
                "body",
            )
            .await;
            assert_eq!(walked, expected, "approved top-level comments, order {order}, as {who}");
            assert!(totals.iter().all(|t| *t == 5), "comment totalCount as {who}: {totals:?}");
        }
        let count = app.post(token, "{ article(slug: \"story\") { commentCount } }", json!({})).await;
        assert_eq!(count.assert_ok()["article"]["commentCount"], 9, "approved comments and replies, as {who}");
    }

    // The first page of replies of every comment on a page, in one go.
    let first_replies = app
        .query(
            "{ article(slug: \"story\") { comments(first: 2) { nodes { id body replyCount
                 replies(first: 1) { nodes { body status } pageInfo { hasPreviousPage hasNextPage } totalCount } } } } }",
            json!({}),
        )
        .await;
    let nodes = first_replies["article"]["comments"]["nodes"].as_array().unwrap();
    assert_eq!(nodes[0]["body"], "c1");
    assert_eq!(nodes[0]["replyCount"], 3);
    assert_eq!(
        nodes[0]["replies"],
        json!({
            "nodes": [{ "body": "r1", "status": "APPROVED" }],
            "pageInfo": { "hasPreviousPage": false, "hasNextPage": true },
            "totalCount": 3,
        })
    );
    assert_eq!(nodes[1]["body"], "c2");
    assert_eq!(nodes[1]["replyCount"], 1);
    assert_eq!(
        nodes[1]["replies"],
        json!({
            "nodes": [{ "body": "q1", "status": "APPROVED" }],
            "pageInfo": { "hasPreviousPage": false, "hasNextPage": false },
            "totalCount": 1,
        })
    );

    // Walking the replies of c1 one at a time.
    let c1_id = nodes[0]["id"].as_str().unwrap().to_owned();
    let replies = "query($id: ID!, $first: Int, $after: String) { node(id: $id) { ... on Comment {
        replies(first: $first, after: $after) {
          edges { cursor node { body } } pageInfo { hasPreviousPage hasNextPage startCursor endCursor } totalCount } } } }";
    for token in [None, Some(editor.as_str())] {
        let (walked, totals) =
            walk_nested(&app, token, replies, json!({ "id": c1_id }), 1, |d| d["node"]["replies"].clone(), "body")
                .await;
        assert_eq!(walked, ["r1", "r2", "r3"], "approved replies, oldest first");
        assert!(totals.iter().all(|t| *t == 3), "{totals:?}");
    }

    let bad = app.post(None, thread, json!({ "first": 101 })).await;
    assert_eq!(bad.codes(), ["BAD_USER_INPUT"], "{}", bad.body);
    let bad = app.post(None, replies, json!({ "id": c1_id, "first": 1, "after": "garbage" })).await;
    assert_eq!(bad.codes(), ["BAD_USER_INPUT"], "{}", bad.body);
}
on_both!(comment_threads_and_replies);
