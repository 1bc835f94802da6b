//! What a frontend renders: the article page with its section, lead image and credit,
//! byline, tags, body blocks and comments; and who may see which article.

use crate::common::TestApp;
use crate::common::fixtures::{self, ArticleSpec, ago, now};
use chrono::Duration;
use entity::article::ArticleStatus;
use entity::comment::CommentStatus;
use entity::user::Role;
use serde_json::{Value, json};

const ARTICLE_PAGE: &str = r#"
query ArticlePage($slug: String!) {
  article(slug: $slug) {
    id slug headline standfirst status publishedAt
    section { slug name path breadcrumbs { slug } }
    leadImage { url altText caption width height credit { photographer agency distributor license creditLine } }
    authors { slug name }
    tags { slug name }
    wordCount readingTimeMinutes
    seo { title description canonicalUrl }
    commentsOpen commentCount
    bodyText bodyHtml
    blocks {
      __typename
      ... on ParagraphBlock { html text }
      ... on HeadingBlock { level text }
      ... on ImageBlock { url altText caption image { id } }
      ... on QuoteBlock { text }
      ... on ListBlock { ordered items }
    }
    comments(first: 10) {
      totalCount
      nodes { authorName body bodyHtml status replyCount authorEmail replies(first: 5) { totalCount nodes { body } } }
    }
  }
}"#;

async fn article_page_renders_everything(app: TestApp) {
    let db = &app.db;
    let world = fixtures::section(db, "world", "World", None).await;
    let international = fixtures::section(db, "international-news", "International News", Some(&world)).await;
    let lead = fixtures::image(db, Some("Wakil Kohsar"), Some("AFP"), Some("Getty Images"), None).await;
    let inline = fixtures::image(db, Some("Ana Ruiz"), None, None, Some("CC BY 4.0")).await;
    let inline_id = newsroom::graphql::ids::encode(newsroom::graphql::ids::Kind::Image, inline.id);
    let reporter = fixtures::author(db, "mira-hale", "Mira Hale").await;
    let second = fixtures::author(db, "tomas-berg", "Tomas Berg").await;
    let diplomacy = fixtures::tag(db, "diplomacy", "Diplomacy").await;
    let afghanistan = fixtures::tag(db, "afghanistan", "Afghanistan").await;
    let body = format!(
        "Moscow says the decision is *nearly final*.\n\n## A change of course\n\nThe envoy spoke in [Moscow](https://example.com/moscow).\n\n\
         ![Crowds in Kabul](image:{} \"Kabul in August\")\n\n> We will talk to everyone.\n\n- sanctions\n- frozen assets\n\n<script>alert(1)</script>\n",
        inline_id.as_str()
    );
    let article = fixtures::article(
        db,
        ArticleSpec {
            headline: "Russia Moves to Drop Taliban from Banned List".into(),
            standfirst: Some("Moscow seeks closer ties with Kabul.".into()),
            body,
            lead_image: Some(&lead),
            authors: vec![&reporter, &second],
            tags: vec![&diplomacy, &afghanistan],
            ..ArticleSpec::published("russia-taliban", &international, ago(60))
        },
    )
    .await;
    let first = fixtures::comment(
        db,
        &article,
        None,
        CommentStatus::Approved,
        "Good <b>piece</b>\n\nSecond paragraph",
        ago(50),
    )
    .await;
    fixtures::comment(db, &article, Some(&first), CommentStatus::Approved, "A reply", ago(40)).await;
    fixtures::comment(db, &article, Some(&first), CommentStatus::Pending, "A pending reply", ago(39)).await;
    fixtures::comment(db, &article, None, CommentStatus::Approved, "Another view", ago(30)).await;
    fixtures::comment(db, &article, None, CommentStatus::Pending, "Held back", ago(20)).await;
    fixtures::comment(db, &article, None, CommentStatus::Spam, "Buy now", ago(10)).await;

    let data = app.query(ARTICLE_PAGE, json!({ "slug": "russia-taliban" })).await;
    let page = &data["article"];
    assert_eq!(page["headline"], "Russia Moves to Drop Taliban from Banned List");
    assert_eq!(page["status"], "PUBLISHED");
    assert!(page["publishedAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(page["section"]["path"], "world/international-news");
    assert_eq!(page["section"]["breadcrumbs"], json!([{ "slug": "world" }, { "slug": "international-news" }]));
    assert_eq!(page["leadImage"]["credit"]["creditLine"], "Wakil Kohsar/AFP via Getty Images");
    assert_eq!(page["leadImage"]["credit"]["license"], Value::Null);
    assert_eq!(
        page["authors"],
        json!([{ "slug": "mira-hale", "name": "Mira Hale" }, { "slug": "tomas-berg", "name": "Tomas Berg" }])
    );
    assert_eq!(page["tags"].as_array().unwrap().len(), 2);
    assert_eq!(
        page["seo"],
        json!({ "title": "Russia Moves to Drop Taliban from Banned List", "description": "Moscow seeks closer ties with Kabul.", "canonicalUrl": null })
    );

    let types: Vec<&str> =
        page["blocks"].as_array().unwrap().iter().map(|b| b["__typename"].as_str().unwrap()).collect();
    assert_eq!(types, ["ParagraphBlock", "HeadingBlock", "ParagraphBlock", "ImageBlock", "QuoteBlock", "ListBlock"]);
    let blocks = page["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["html"], "Moscow says the decision is <em>nearly final</em>.");
    assert_eq!(blocks[1], json!({ "__typename": "HeadingBlock", "level": 2, "text": "A change of course" }));
    assert!(blocks[2]["html"].as_str().unwrap().contains(r#"href="https://example.com/moscow""#));
    assert_eq!(blocks[3]["url"], inline.url.as_str());
    assert_eq!(blocks[3]["caption"], "Kabul in August");
    assert_eq!(blocks[3]["image"]["id"], inline_id.as_str());
    assert_eq!(blocks[4]["text"], "We will talk to everyone.");
    assert_eq!(
        blocks[5],
        json!({ "__typename": "ListBlock", "ordered": false, "items": ["sanctions", "frozen assets"] })
    );

    let html = page["bodyHtml"].as_str().unwrap();
    assert!(html.contains("<h2>A change of course</h2>"), "{html}");
    assert!(html.contains(&format!(r#"src="{}""#, inline.url)), "{html}");
    assert!(!html.contains("<script"), "{html}");
    assert!(!page["bodyText"].as_str().unwrap().contains('*'));
    let words = page["wordCount"].as_i64().unwrap();
    assert!((15..=30).contains(&words), "{words}");
    assert_eq!(page["readingTimeMinutes"], 1);

    assert_eq!(page["commentCount"], 3, "approved comments, replies included");
    let comments = &page["comments"];
    assert_eq!(comments["totalCount"], 2, "approved top-level comments");
    let nodes = comments["nodes"].as_array().unwrap();
    assert_eq!(nodes[0]["body"], "Good <b>piece</b>\n\nSecond paragraph");
    assert_eq!(nodes[0]["bodyHtml"], "<p>Good &lt;b&gt;piece&lt;&#x2F;b&gt;</p><p>Second paragraph</p>");
    assert_eq!(nodes[0]["authorEmail"], Value::Null, "emails are private");
    assert_eq!(nodes[0]["replyCount"], 1);
    assert_eq!(nodes[0]["replies"], json!({ "totalCount": 1, "nodes": [{ "body": "A reply" }] }));
    assert_eq!(nodes[1]["body"], "Another view");
    assert!(nodes.iter().all(|c| c["status"] == "APPROVED"));

    let (_, editor) = app.staff(Role::Editor).await;
    let as_editor = app.query_as(&editor, ARTICLE_PAGE, json!({ "slug": "russia-taliban" })).await;
    assert!(as_editor["article"]["comments"]["nodes"][0]["authorEmail"].as_str().unwrap().ends_with("@example.org"));
}
on_both!(article_page_renders_everything);

async fn credit_lines_leave_out_missing_parts(app: TestApp) {
    let db = &app.db;
    let section = fixtures::section(db, "news", "News", None).await;
    let cases = [
        ((Some("Wakil Kohsar"), Some("AFP"), Some("Getty Images"), None), Some("Wakil Kohsar/AFP via Getty Images")),
        ((Some("Wakil Kohsar"), Some("AFP"), None, None), Some("Wakil Kohsar/AFP")),
        ((Some("Wakil Kohsar"), None, Some("Getty Images"), None), Some("Wakil Kohsar via Getty Images")),
        ((None, Some("AFP"), Some("Getty Images"), None), Some("AFP via Getty Images")),
        ((None, Some("Reuters"), None, None), Some("Reuters")),
        ((Some("Ana Ruiz"), None, None, Some("CC BY 4.0")), Some("Ana Ruiz (CC BY 4.0)")),
        ((None, None, None, None), None),
    ];
    for (index, ((photographer, agency, distributor, license), expected)) in cases.into_iter().enumerate() {
        let image = fixtures::image(db, photographer, agency, distributor, license).await;
        let slug = format!("credit-{index}");
        fixtures::article(
            db,
            ArticleSpec { lead_image: Some(&image), ..ArticleSpec::published(&slug, &section, ago(5)) },
        )
        .await;
        let data = app
            .query(
                "query($s: String!) { article(slug: $s) { leadImage { credit { creditLine } } } }",
                json!({ "s": slug }),
            )
            .await;
        let line = &data["article"]["leadImage"]["credit"];
        match expected {
            Some(text) => assert_eq!(line["creditLine"], text, "case {index}"),
            None => assert_eq!(*line, Value::Null, "no credit at all is null (case {index})"),
        }
    }
}
on_both!(credit_lines_leave_out_missing_parts);

const BY_SLUG: &str = "query($s: String!) { article(slug: $s) { slug status } }";

async fn drafts_and_scheduled_articles_are_hidden_from_the_public(app: TestApp) {
    let db = &app.db;
    let section = fixtures::section(db, "politics", "Politics", None).await;
    let (contributor, contributor_token) = app.staff(Role::Contributor).await;
    let (_, other_contributor) = app.staff(Role::Contributor).await;
    let (_, editor) = app.staff(Role::Editor).await;
    let draft = fixtures::article(
        db,
        ArticleSpec { created_by: Some(contributor.id), ..ArticleSpec::draft("own-draft", &section) },
    )
    .await;
    fixtures::article(
        db,
        ArticleSpec {
            status: ArticleStatus::Scheduled,
            published_at: None,
            scheduled_at: Some(now() + Duration::days(1)),
            ..ArticleSpec::published("scheduled", &section, now())
        },
    )
    .await;
    fixtures::article(db, ArticleSpec::published("future-dated", &section, now() + Duration::hours(3))).await;
    fixtures::article(db, ArticleSpec::published("live", &section, ago(1))).await;

    for slug in ["own-draft", "scheduled", "future-dated"] {
        let answer = app.post(None, BY_SLUG, json!({ "s": slug })).await;
        assert_eq!(answer.assert_ok()["article"], Value::Null, "{slug} is null to anonymous, not an error");
        assert_eq!(app.query_as(&other_contributor, BY_SLUG, json!({ "s": slug })).await["article"], Value::Null);
        assert_eq!(app.query_as(&editor, BY_SLUG, json!({ "s": slug })).await["article"]["slug"], slug);
    }
    assert_eq!(
        app.query_as(&contributor_token, BY_SLUG, json!({ "s": "own-draft" })).await["article"]["status"],
        "DRAFT"
    );
    assert_eq!(app.query(BY_SLUG, json!({ "s": "live" })).await["article"]["slug"], "live");

    let list = "{ articles { totalCount nodes { slug } } }";
    assert_eq!(app.query(list, json!({})).await["articles"], json!({ "totalCount": 1, "nodes": [{ "slug": "live" }] }));
    assert_eq!(app.query_as(&editor, list, json!({})).await["articles"]["totalCount"], 4);
    assert_eq!(app.query_as(&contributor_token, list, json!({})).await["articles"]["totalCount"], 2);

    let draft_id = newsroom::graphql::ids::encode(newsroom::graphql::ids::Kind::Article, draft.id);
    let node = "query($id: ID!) { node(id: $id) { id } }";
    assert_eq!(app.query(node, json!({ "id": draft_id.as_str() })).await["node"], Value::Null);
    assert_eq!(app.query_as(&editor, node, json!({ "id": draft_id.as_str() })).await["node"]["id"], draft_id.as_str());
}
on_both!(drafts_and_scheduled_articles_are_hidden_from_the_public);

async fn old_slugs_still_find_the_article(app: TestApp) {
    let section = fixtures::section(&app.db, "science", "Science", None).await;
    let article = fixtures::article(&app.db, ArticleSpec::published("comet-returns", &section, ago(10))).await;
    fixtures::old_slug(&app.db, &article, "comet-may-return").await;
    let data = app.query(BY_SLUG, json!({ "s": "comet-may-return" })).await;
    assert_eq!(data["article"]["slug"], "comet-returns");
    assert_eq!(app.query(BY_SLUG, json!({ "s": "no-such-slug" })).await["article"], Value::Null);
}
on_both!(old_slugs_still_find_the_article);

async fn node_resolves_every_type(app: TestApp) {
    use newsroom::graphql::ids::{Kind, encode};
    let db = &app.db;
    let section = fixtures::section(db, "culture", "Culture", None).await;
    let image = fixtures::image(db, Some("A"), None, None, None).await;
    let author = fixtures::author(db, "ines-moreau", "Ines Moreau").await;
    let tag = fixtures::tag(db, "arts", "Arts").await;
    let unused = fixtures::image(db, Some("B"), None, None, None).await;
    let article = fixtures::article(
        db,
        ArticleSpec { lead_image: Some(&image), ..ArticleSpec::published("gallery-opens", &section, ago(3)) },
    )
    .await;
    let approved = fixtures::comment(db, &article, None, CommentStatus::Approved, "Lovely", ago(2)).await;
    let pending = fixtures::comment(db, &article, None, CommentStatus::Pending, "Hidden", ago(1)).await;
    let (user, token) = app.staff(Role::Contributor).await;

    let query = r#"query($id: ID!) { node(id: $id) { __typename id
        ... on Article { slug } ... on Section { slug } ... on Image { url } ... on Author { slug }
        ... on Tag { slug } ... on Comment { body } ... on User { email } } }"#;
    let cases = [
        (encode(Kind::Article, article.id), "Article"),
        (encode(Kind::Section, section.id), "Section"),
        (encode(Kind::Image, image.id), "Image"),
        (encode(Kind::Author, author.id), "Author"),
        (encode(Kind::Tag, tag.id), "Tag"),
        (encode(Kind::Comment, approved.id), "Comment"),
    ];
    for (id, typename) in cases {
        let data = app.query(query, json!({ "id": id.as_str() })).await;
        assert_eq!(data["node"]["__typename"], typename);
        assert_eq!(data["node"]["id"], id.as_str());
    }
    let user_id = encode(Kind::User, user.id);
    assert_eq!(app.query(query, json!({ "id": user_id.as_str() })).await["node"], Value::Null, "users are not public");
    assert_eq!(
        app.query_as(&token, query, json!({ "id": user_id.as_str() })).await["node"]["email"],
        user.email.as_str()
    );
    let unused_id = encode(Kind::Image, unused.id);
    assert_eq!(
        app.query(query, json!({ "id": unused_id.as_str() })).await["node"],
        Value::Null,
        "only images readers are shown"
    );
    assert_eq!(
        app.query_as(&token, query, json!({ "id": unused_id.as_str() })).await["node"]["url"],
        unused.url.as_str()
    );
    let pending_id = encode(Kind::Comment, pending.id);
    assert_eq!(app.query(query, json!({ "id": pending_id.as_str() })).await["node"], Value::Null);
    for garbage in ["", "nope", "QXJ0aWNsZTo5OTk5", "Rm9vOjE"] {
        assert_eq!(app.query(query, json!({ "id": garbage })).await["node"], Value::Null, "{garbage}");
    }
}
on_both!(node_resolves_every_type);

/// One rule for images: an image a reader is handed anywhere (a lead image, a picture in a
/// body, by global id or by number) resolves by its id, and one only in a draft does not.
async fn every_image_a_reader_is_shown_resolves_by_id(app: TestApp) {
    use newsroom::graphql::ids::{Kind, encode};
    let db = &app.db;
    let section = fixtures::section(db, "world", "World", None).await;
    let lead = fixtures::image(db, Some("A"), None, None, None).await;
    let by_global_id = fixtures::image(db, Some("B"), None, None, None).await;
    let by_number = fixtures::image(db, Some("C"), None, None, None).await;
    let in_a_draft = fixtures::image(db, Some("D"), None, None, None).await;
    let global_id = encode(Kind::Image, by_global_id.id);
    let body = format!(
        "The harbour at dawn.\n\n![Boats](image:{} \"Boats\")\n\nThen the market.\n\n![Stalls](image:{})\n",
        global_id.as_str(),
        by_number.id
    );
    fixtures::article(
        db,
        ArticleSpec { lead_image: Some(&lead), body, ..ArticleSpec::published("harbour", &section, ago(3)) },
    )
    .await;
    let draft_body = format!("Not yet.\n\n![Secret](image:{})\n", encode(Kind::Image, in_a_draft.id).as_str());
    fixtures::article(db, ArticleSpec { body: draft_body, ..ArticleSpec::draft("plans", &section) }).await;

    let page = app
        .query(
            r#"{ article(slug: "harbour") { leadImage { id } blocks { ... on ImageBlock { image { id } } } } }"#,
            json!({}),
        )
        .await;
    let mut shown: Vec<String> = page["article"]["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|block| block["image"]["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(shown.len(), 2, "both body pictures are in the blocks: {page}");
    shown.push(page["article"]["leadImage"]["id"].as_str().expect("the lead image").to_owned());
    let node = "query($id: ID!) { node(id: $id) { ... on Image { id url } } }";
    for id in &shown {
        assert_eq!(app.query(node, json!({ "id": id })).await["node"]["id"], id.as_str(), "image {id} resolves");
    }
    let hidden = encode(Kind::Image, in_a_draft.id);
    assert_eq!(app.query(node, json!({ "id": hidden.as_str() })).await["node"], Value::Null);
    let (_, token) = app.staff(Role::Editor).await;
    assert_eq!(
        app.query_as(&token, node, json!({ "id": hidden.as_str() })).await["node"]["url"],
        in_a_draft.url.as_str(),
        "staff see every image"
    );
}
on_both!(every_image_a_reader_is_shown_resolves_by_id);

async fn sections_authors_and_tags(app: TestApp) {
    let db = &app.db;
    let world = fixtures::section(db, "world", "World", None).await;
    let europe = fixtures::section(db, "europe", "Europe", Some(&world)).await;
    fixtures::section(db, "asia", "Asia", Some(&world)).await;
    fixtures::section(db, "sport", "Sport", None).await;
    let author = fixtures::author(db, "mira-hale", "Mira Hale").await;
    let tag = fixtures::tag(db, "climate", "Climate").await;
    fixtures::article(
        db,
        ArticleSpec {
            authors: vec![&author],
            tags: vec![&tag],
            ..ArticleSpec::published("in-europe", &europe, ago(5))
        },
    )
    .await;
    fixtures::article(
        db,
        ArticleSpec { authors: vec![&author], tags: vec![&tag], ..ArticleSpec::draft("draft-in-europe", &europe) },
    )
    .await;

    let data = app
        .query(
            r#"{ sections { slug path }
                 world: section(slug: "world") { parent { slug } children { slug } articles { totalCount nodes { slug } } }
                 missing: section(slug: "nowhere") { slug }
                 author(slug: "mira-hale") { name bio articles { totalCount nodes { slug } } }
                 tag(slug: "climate") { name articles { totalCount } }
                 nobody: author(slug: "nobody") { name } }"#,
            json!({}),
        )
        .await;
    let paths: Vec<&str> = data["sections"].as_array().unwrap().iter().map(|s| s["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["sport", "world", "world/asia", "world/europe"], "roots first");
    assert_eq!(data["world"]["parent"], Value::Null);
    assert_eq!(data["world"]["children"], json!([{ "slug": "asia" }, { "slug": "europe" }]));
    assert_eq!(
        data["world"]["articles"],
        json!({ "totalCount": 1, "nodes": [{ "slug": "in-europe" }] }),
        "subsections included, drafts not"
    );
    assert_eq!(data["missing"], Value::Null);
    assert_eq!(data["author"]["articles"]["totalCount"], 1);
    assert_eq!(data["tag"]["articles"]["totalCount"], 1);
    assert_eq!(data["nobody"], Value::Null);
}
on_both!(sections_authors_and_tags);

async fn replies_under_a_hidden_comment_stay_hidden(app: TestApp) {
    let db = &app.db;
    let section = fixtures::section(db, "news", "News", None).await;
    let body = "Before.\n\n![trap](javascript:alert(1))\n\n![relative](/local.png)\n\nAfter.\n".to_owned();
    let article =
        fixtures::article(db, ArticleSpec { body, ..ArticleSpec::published("story", &section, ago(60)) }).await;
    let rejected = fixtures::comment(db, &article, None, CommentStatus::Rejected, "Rejected", ago(50)).await;
    let reply =
        fixtures::comment(db, &article, Some(&rejected), CommentStatus::Approved, "Approved reply", ago(40)).await;
    fixtures::comment(db, &article, None, CommentStatus::Approved, "Visible", ago(30)).await;

    let data = app
        .query(
            r#"{ article(slug: "story") { commentCount comments { totalCount nodes { body } } blocks { __typename } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["article"]["commentCount"], 1, "the reply to a rejected comment is not counted");
    assert_eq!(data["article"]["comments"]["nodes"], json!([{ "body": "Visible" }]));
    assert_eq!(
        data["article"]["blocks"],
        json!([{ "__typename": "ParagraphBlock" }, { "__typename": "ParagraphBlock" }]),
        "images off the web are dropped"
    );

    let id = newsroom::graphql::ids::encode(newsroom::graphql::ids::Kind::Comment, reply.id);
    let node = "query($id: ID!) { node(id: $id) { ... on Comment { body parent { body } } } }";
    assert_eq!(app.query(node, json!({ "id": id.as_str() })).await["node"], Value::Null);
    let (_, editor) = app.staff(Role::Editor).await;
    let seen = app.query_as(&editor, node, json!({ "id": id.as_str() })).await;
    assert_eq!(seen["node"], json!({ "body": "Approved reply", "parent": { "body": "Rejected" } }));
}
on_both!(replies_under_a_hidden_comment_stay_hidden);
