//! No N+1: the SQL statements a request runs do not grow with the page size. A hook on
//! the database connection counts them.

use crate::common::TestApp;
use crate::common::fixtures::{self, ArticleSpec, ago};
use entity::comment::CommentStatus;
use serde_json::json;

const ARTICLE_PAGE: &str = r#"query($slug: String!, $comments: Int!) {
  article(slug: $slug) {
    headline standfirst publishedAt bodyHtml wordCount readingTimeMinutes
    section { name path breadcrumbs { name slug } }
    leadImage { url altText caption credit { creditLine } }
    authors { name slug } tags { name slug }
    blocks { __typename ... on ImageBlock { url image { id credit { creditLine } } } ... on ParagraphBlock { html } }
    commentCount
    comments(first: $comments) {
      totalCount pageInfo { hasNextPage endCursor }
      nodes { authorName bodyHtml createdAt replyCount replies(first: 5) { totalCount nodes { authorName bodyHtml } } }
    }
  }
}"#;

const SECTION_FRONT: &str = r#"query($slug: String!, $first: Int!) {
  section(slug: $slug) {
    name breadcrumbs { name }
    articles(first: $first) {
      totalCount pageInfo { hasNextPage endCursor }
      nodes { headline slug publishedAt standfirst leadImage { url credit { creditLine } } authors { name } tags { name } commentCount section { name path } }
    }
  }
}"#;

const HOME: &str = r#"query($first: Int!) {
  sections { name path articles(first: 3) { totalCount nodes { headline authors { name } leadImage { url } } } }
  articles(first: $first) { totalCount nodes { headline section { name } authors { name } tags { name } leadImage { credit { creditLine } } corrections { kind text } related(first: 3) { slug } commentCount comments(first: 2) { totalCount nodes { body replies(first: 1) { nodes { body } } } } } }
}"#;

/// An article with `top_level` approved comments, each with two approved replies and a
/// pending one, and an image in its body.
async fn article_with_comments(app: &TestApp, slug: &str, top_level: usize) {
    let db = &app.db;
    let section = fixtures::section(db, &format!("{slug}-desk"), "Desk", None).await;
    let lead = fixtures::image(db, Some("Wakil Kohsar"), Some("AFP"), Some("Getty Images"), None).await;
    let inline = fixtures::image(db, Some("Ana Ruiz"), None, None, None).await;
    let author = fixtures::author(db, &format!("{slug}-author"), "Mira Hale").await;
    let tag = fixtures::tag(db, &format!("{slug}-tag"), "Diplomacy").await;
    let body = format!("## Heading\n\nA paragraph.\n\n![Inline](image:{})\n\nMore text.\n", inline.id);
    let article = fixtures::article(
        db,
        ArticleSpec {
            body,
            lead_image: Some(&lead),
            authors: vec![&author],
            tags: vec![&tag],
            ..ArticleSpec::published(slug, &section, ago(600))
        },
    )
    .await;
    for n in 0..top_level {
        let minutes = 500 - n as i64 * 3;
        let comment = fixtures::comment(db, &article, None, CommentStatus::Approved, "Top", ago(minutes)).await;
        fixtures::comment(db, &article, Some(&comment), CommentStatus::Approved, "Reply", ago(minutes - 1)).await;
        fixtures::comment(db, &article, Some(&comment), CommentStatus::Approved, "Reply", ago(minutes - 1)).await;
        fixtures::comment(db, &article, Some(&comment), CommentStatus::Pending, "Held", ago(minutes - 2)).await;
    }
}

async fn article_page_runs_a_fixed_number_of_statements(app: TestApp) {
    article_with_comments(&app, "small", 5).await;
    article_with_comments(&app, "large", 40).await;
    let small_page = json!({ "slug": "small", "comments": 5 });
    let large_page = json!({ "slug": "large", "comments": 40 });
    let (first, _) = app.count_statements(ARTICLE_PAGE, small_page.clone()).await;
    assert!(first <= 12, "the first article page ran {first} statements");
    let (small, data) = app.count_statements(ARTICLE_PAGE, small_page).await;
    assert_eq!(data["article"]["comments"]["nodes"].as_array().unwrap().len(), 5);
    // The section tree, the article, its images, byline and tags, and its first page of
    // comments with their counts and replies are kept between queries.
    assert_eq!(small, 0, "the second page reads nothing");
    let (large_first, _) = app.count_statements(ARTICLE_PAGE, large_page.clone()).await;
    let (large, data) = app.count_statements(ARTICLE_PAGE, large_page).await;
    assert_eq!(data["article"]["comments"]["nodes"].as_array().unwrap().len(), 40);
    assert_eq!(data["article"]["commentCount"], 120);
    assert_eq!(large_first, first - 1, "statements for 5 and for 40 comments read, the tree kept");
    assert_eq!(large, 0, "the second page of 40 comments reads nothing");
}
on_both!(article_page_runs_a_fixed_number_of_statements);

/// The comments of a page come with their reply counts: asking for `replyCount` and for
/// the replies' `totalCount` costs no statement of its own.
async fn reply_counts_come_with_the_comments(app: TestApp) {
    article_with_comments(&app, "plain", 4).await;
    article_with_comments(&app, "counted", 4).await;
    let without = "query($s: String!) { article(slug: $s) { comments(first: 10) {
      nodes { body replies(first: 1) { nodes { body } } } } } }";
    let with = "query($s: String!) { article(slug: $s) { comments(first: 10) {
      nodes { body replyCount replies(first: 1) { totalCount nodes { body } } } } } }";
    // Each article read for the first time, once the section tree is kept.
    app.count_statements("{ sections { name } }", json!({})).await;
    let (plain, _) = app.count_statements(without, json!({ "s": "plain" })).await;
    let (counted, data) = app.count_statements(with, json!({ "s": "counted" })).await;
    assert_eq!(counted, plain, "statements with and without the reply counts");
    let nodes = data["article"]["comments"]["nodes"].as_array().unwrap().clone();
    assert_eq!(nodes.len(), 4);
    for node in nodes {
        // Two approved replies each; the pending one is not counted.
        assert_eq!(node["replyCount"], 2, "{node}");
        assert_eq!(node["replies"]["totalCount"], 2, "{node}");
    }
}
on_both!(reply_counts_come_with_the_comments);

async fn section_front_runs_a_fixed_number_of_statements(app: TestApp) {
    let db = &app.db;
    let world = fixtures::section(db, "world", "World", None).await;
    let europe = fixtures::section(db, "europe", "Europe", Some(&world)).await;
    let author = fixtures::author(db, "mira-hale", "Mira Hale").await;
    let tag = fixtures::tag(db, "climate", "Climate").await;
    for n in 0..60 {
        let image = fixtures::image(db, Some("A"), Some("B"), None, None).await;
        let section = if n % 2 == 0 { &world } else { &europe };
        let spec = ArticleSpec {
            lead_image: Some(&image),
            authors: vec![&author],
            tags: vec![&tag],
            ..ArticleSpec::published(&format!("story-{n}"), section, ago(n + 1))
        };
        fixtures::article(db, spec).await;
    }
    let front_of_five = json!({ "slug": "world", "first": 5 });
    let (first, _) = app.count_statements(SECTION_FRONT, front_of_five.clone()).await;
    assert!(first <= 12, "the first section front ran {first} statements");
    let (five, data) = app.count_statements(SECTION_FRONT, front_of_five).await;
    assert_eq!(data["section"]["articles"]["nodes"].as_array().unwrap().len(), 5);
    // The section tree, the page of articles, their images, bylines and tags are kept
    // between queries; the section's size is counted again.
    assert_eq!(five, 1, "the second front reads only its count");
    let front_of_hundred = json!({ "slug": "world", "first": 100 });
    let (hundred_first, _) = app.count_statements(SECTION_FRONT, front_of_hundred.clone()).await;
    let (hundred, data) = app.count_statements(SECTION_FRONT, front_of_hundred).await;
    assert_eq!(data["section"]["articles"]["totalCount"], 60);
    assert_eq!(data["section"]["articles"]["nodes"].as_array().unwrap().len(), 60);
    assert_eq!(hundred_first, first - 1, "statements for 5 and for 100 articles read, the tree kept");
    assert_eq!(five, hundred, "statements for 5 and for 100 articles, their rows kept");
}
on_both!(section_front_runs_a_fixed_number_of_statements);

async fn nested_lists_on_a_home_page_are_batched(app: TestApp) {
    let db = &app.db;
    for s in 0..6 {
        let section = fixtures::section(db, &format!("section-{s}"), "Section", None).await;
        let author = fixtures::author(db, &format!("author-{s}"), "Author").await;
        let tag = fixtures::tag(db, &format!("tag-{s}"), "Tag").await;
        for n in 0..8 {
            let spec = ArticleSpec {
                authors: vec![&author],
                tags: vec![&tag],
                ..ArticleSpec::published(&format!("s{s}-a{n}"), &section, ago(s * 10 + n + 1))
            };
            let article = fixtures::article(db, spec).await;
            let comment = fixtures::comment(db, &article, None, CommentStatus::Approved, "Top", ago(1)).await;
            fixtures::comment(db, &article, Some(&comment), CommentStatus::Approved, "Reply", ago(1)).await;
        }
    }
    let (few, _) = app.count_statements(HOME, json!({ "first": 3 })).await;
    let (many, data) = app.count_statements(HOME, json!({ "first": 40 })).await;
    assert_eq!(data["articles"]["nodes"].as_array().unwrap().len(), 40);
    assert_eq!(data["sections"][5]["articles"]["totalCount"], 8);
    assert_eq!(data["articles"]["nodes"][0]["comments"]["nodes"][0]["replies"]["nodes"][0]["body"], "Reply");
    assert_eq!(data["articles"]["nodes"][39]["related"].as_array().unwrap().len(), 3, "related by their tag");
    // The two root fields resolve side by side, and whether a level of one shares a batch
    // with a level of the other depends on which database answer comes first; so the two
    // counts may differ by a few statements, but never by one per article.
    assert!(many <= few + 5, "{few} statements for 3 articles, {many} for 40, each with comments and replies");
}
on_both!(nested_lists_on_a_home_page_are_batched);

/// A query reads through one connection, taken by its first read and held to its end.
/// Requests that outnumber the pool wait for it in turn: none holds a connection while it
/// waits for a second one (a later page and its total are read by the resolver itself,
/// after the section came through a batch), which would leave them all waiting.
async fn queries_outnumbering_the_pool_all_answer(app: TestApp) {
    let db = &app.db;
    let world = fixtures::section(db, "world", "World", None).await;
    let author = fixtures::author(db, "mira-hale", "Mira Hale").await;
    for n in 0..6 {
        let spec =
            ArticleSpec { authors: vec![&author], ..ArticleSpec::published(&format!("story-{n}"), &world, ago(n + 1)) };
        fixtures::article(db, spec).await;
    }
    let app = app
        .reconnected(|config| {
            config.db_max_connections = Some(2);
            config.request_timeout = std::time::Duration::from_secs(5);
        })
        .await;
    const LATER_PAGE: &str = r#"query($after: String) {
      section(slug: "world") { name articles(first: 2, after: $after) { totalCount nodes { headline authors { name } } } }
    }"#;
    let first =
        app.query("{ section(slug: \"world\") { articles(first: 2) { pageInfo { endCursor } } } }", json!({})).await;
    let after = first["section"]["articles"]["pageInfo"]["endCursor"].clone();
    let answers =
        futures_util::future::join_all((0..16).map(|_| app.post(None, LATER_PAGE, json!({ "after": after })))).await;
    for answer in &answers {
        let data = answer.assert_ok();
        assert_eq!(data["section"]["articles"]["totalCount"], 6);
        assert_eq!(data["section"]["articles"]["nodes"][0]["authors"][0]["name"], "Mira Hale");
    }
}
on_both!(queries_outnumbering_the_pool_all_answer);
