//! Full-text search over articles: ranking (headline over standfirst over body), who
//! finds what, stemming and case, all words required, paging through results, and input
//! that must never break the query.

use std::collections::HashSet;

use crate::common::TestApp;
use crate::common::fixtures::{self, ArticleSpec, ago};
use entity::section;
use entity::user::Role;
use serde_json::{Value, json};

const SEARCH: &str = "query Search($query: String!, $first: Int, $after: String) {
  searchArticles(query: $query, first: $first, after: $after) {
    edges { cursor node { slug headline status } }
    pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
    totalCount
  }
}";

fn slugs(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no edges in {connection}"))
        .iter()
        .map(|edge| edge["node"]["slug"].as_str().expect("slug").to_owned())
        .collect()
}

fn total(connection: &Value) -> i64 {
    connection["totalCount"].as_i64().unwrap_or_else(|| panic!("no totalCount in {connection}"))
}

async fn search(app: &TestApp, token: Option<&str>, query: &str) -> Value {
    let answer = app.post(token, SEARCH, json!({ "query": query, "first": 100 })).await;
    answer.assert_ok()["searchArticles"].clone()
}

/// A published article with the given texts (and nothing else that could match).
async fn story(
    app: &TestApp,
    section: &section::Model,
    slug: &str,
    headline: &str,
    standfirst: &str,
    body: &str,
    minutes: i64,
) {
    fixtures::article(
        &app.db,
        ArticleSpec {
            headline: headline.into(),
            standfirst: Some(standfirst.into()),
            body: body.into(),
            ..ArticleSpec::published(slug, section, ago(minutes))
        },
    )
    .await;
}

async fn ranking_and_visibility(app: TestApp) {
    let news = fixtures::section(&app.db, "news", "News", None).await;
    let (_, editor) = app.staff(Role::Editor).await;
    // Inserted body first, so ids and dates run against the expected ranking; the texts
    // have about the same length.
    story(
        &app,
        &news,
        "in-body",
        "Water prices rise across the region",
        "Households face higher bills this winter.",
        "Economists blame the long drought for the rise in water prices across the region.",
        10,
    )
    .await;
    story(
        &app,
        &news,
        "in-standfirst",
        "Farmers count the cost of the summer",
        "The drought has lasted a whole year now.",
        "Crops failed across the plains and many farms were sold at auction this autumn.",
        20,
    )
    .await;
    story(
        &app,
        &news,
        "in-headline",
        "Drought grips the valley for a second year",
        "Reservoirs are at their lowest level in decades.",
        "Officials asked residents to limit their use of water until the rains return.",
        30,
    )
    .await;
    story(
        &app,
        &news,
        "unrelated",
        "Local team wins the cup final",
        "A late goal settled a tense match.",
        "Supporters celebrated in the streets until the early hours of the morning.",
        5,
    )
    .await;
    fixtures::article(
        &app.db,
        ArticleSpec {
            headline: "Drought draft awaiting edits".into(),
            standfirst: Some("Not ready.".into()),
            body: "More on the drought soon.".into(),
            ..ArticleSpec::draft("drought-draft", &news)
        },
    )
    .await;
    fixtures::article(
        &app.db,
        ArticleSpec {
            headline: "Drought relief scheduled for tomorrow".into(),
            standfirst: Some("Embargoed.".into()),
            body: "The drought relief plan.".into(),
            ..ArticleSpec::published("drought-tomorrow", &news, ago(-24 * 60))
        },
    )
    .await;

    let found = search(&app, None, "drought").await;
    assert_eq!(
        slugs(&found),
        ["in-headline", "in-standfirst", "in-body"],
        "headline matches first, then standfirst, then body; no draft, nothing scheduled, nothing unrelated"
    );
    assert_eq!(total(&found), 3);
    assert_eq!(found["pageInfo"]["hasNextPage"], false);
    assert_eq!(found["edges"][0]["node"]["headline"], "Drought grips the valley for a second year");

    let for_editor = search(&app, Some(&editor), "drought").await;
    let editor_slugs = slugs(&for_editor);
    assert_eq!(total(&for_editor), 5, "editors find drafts and scheduled articles too: {editor_slugs:?}");
    let mut sorted = editor_slugs.clone();
    sorted.sort();
    assert_eq!(sorted, ["drought-draft", "drought-tomorrow", "in-body", "in-headline", "in-standfirst"]);
    let position = |slug: &str| editor_slugs.iter().position(|s| s == slug).unwrap();
    assert!(position("in-headline") < position("in-standfirst"), "{editor_slugs:?}");
    assert!(position("in-standfirst") < position("in-body"), "{editor_slugs:?}");
    assert!(!editor_slugs.contains(&"unrelated".to_owned()));

    let nothing = search(&app, None, "hurricane").await;
    assert_eq!(slugs(&nothing), Vec::<String>::new());
    assert_eq!(total(&nothing), 0);
    assert_eq!(
        nothing["pageInfo"],
        json!({ "hasPreviousPage": false, "hasNextPage": false, "startCursor": null, "endCursor": null })
    );
}
on_both!(ranking_and_visibility);

async fn stemming_case_and_all_words(app: TestApp) {
    let news = fixtures::section(&app.db, "news", "News", None).await;
    story(&app, &news, "election-day", "Election day arrives", "Polls open at seven.", "Voters queued early.", 10)
        .await;
    story(
        &app,
        &news,
        "budget-vote",
        "Parliament debates the budget",
        "A vote is expected on Friday.",
        "Ministers defended the plan.",
        20,
    )
    .await;
    story(&app, &news, "budget-only", "The budget in numbers", "Where the money goes.", "Spending rises again.", 30)
        .await;
    story(
        &app,
        &news,
        "vote-only",
        "Council vote delayed",
        "Members asked for more time.",
        "The session closed early.",
        40,
    )
    .await;

    for query in ["elections", "Election", "ELECTION", "election", "  elections  "] {
        let found = search(&app, None, query).await;
        assert_eq!(slugs(&found), ["election-day"], "query {query:?}");
        assert_eq!(total(&found), 1, "query {query:?}");
    }

    let both = search(&app, None, "budget vote").await;
    assert_eq!(slugs(&both), ["budget-vote"], "every word of the query must match");
    assert_eq!(total(&both), 1);
    let reversed = search(&app, None, "VOTE, budget!").await;
    assert_eq!(slugs(&reversed), ["budget-vote"], "order, case and punctuation do not matter");

    let budget = search(&app, None, "budget").await;
    assert_eq!(budget["totalCount"], 2);
    assert_eq!(
        slugs(&budget).into_iter().collect::<HashSet<_>>(),
        HashSet::from(["budget-vote".to_owned(), "budget-only".to_owned()])
    );

    let none = search(&app, None, "budget election").await;
    assert_eq!(slugs(&none), Vec::<String>::new(), "no article has both words");
    assert_eq!(total(&none), 0);
}
on_both!(stemming_case_and_all_words);

async fn paging_through_results(app: TestApp) {
    let news = fixtures::section(&app.db, "news", "News", None).await;
    // Three with exactly the same texts (the same score, so the id breaks the tie), and
    // three that rank differently.
    for (n, slug) in ["twin-a", "twin-b", "twin-c"].iter().enumerate() {
        story(&app, &news, slug, "Harbour reopens", "Ships return.", "The harbour reopened on Monday.", n as i64 + 1)
            .await;
    }
    story(
        &app,
        &news,
        "harbour-head",
        "Harbour strike ends after harbour talks",
        "Dockers return.",
        "Work resumed.",
        5,
    )
    .await;
    story(&app, &news, "harbour-stand", "Dockers return", "The harbour is busy again.", "Work resumed.", 6).await;
    story(
        &app,
        &news,
        "harbour-body",
        "Dockers return to work",
        "Work resumed.",
        "Cranes moved at the harbour again.",
        7,
    )
    .await;
    story(&app, &news, "elsewhere", "Airport opens", "Planes land.", "Nothing else.", 8).await;

    let all = search(&app, None, "harbour").await;
    let expected = slugs(&all);
    assert_eq!(expected.len(), 6, "{all}");
    assert_eq!(total(&all), 6);

    let mut walked = Vec::new();
    let mut after = Value::Null;
    for page in 0..20 {
        let answer = app.post(None, SEARCH, json!({ "query": "harbour", "first": 1, "after": after })).await;
        let connection = answer.assert_ok()["searchArticles"].clone();
        assert_eq!(connection["pageInfo"]["hasPreviousPage"], page > 0, "{connection}");
        assert_eq!(total(&connection), 6, "{connection}");
        let page_slugs = slugs(&connection);
        assert_eq!(page_slugs.len(), 1, "{connection}");
        assert_eq!(connection["pageInfo"]["endCursor"], connection["edges"][0]["cursor"]);
        walked.extend(page_slugs);
        if connection["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(walked, expected, "one at a time gives the same list as one page, without repeats or gaps");
    let unique: HashSet<_> = walked.iter().collect();
    assert_eq!(unique.len(), 6);

    // Two at a time, too.
    let first = app.query(SEARCH, json!({ "query": "harbour", "first": 4 })).await;
    assert_eq!(slugs(&first["searchArticles"]), expected[..4]);
    let cursor = first["searchArticles"]["pageInfo"]["endCursor"].clone();
    let rest = app.query(SEARCH, json!({ "query": "harbour", "first": 4, "after": cursor })).await;
    assert_eq!(slugs(&rest["searchArticles"]), expected[4..]);
    assert_eq!(rest["searchArticles"]["pageInfo"]["hasNextPage"], false);

    for variables in [
        json!({ "query": "harbour", "first": 101 }),
        json!({ "query": "harbour", "first": -1 }),
        json!({ "query": "harbour", "after": "garbage" }),
    ] {
        let answer = app.post(None, SEARCH, variables.clone()).await;
        assert_eq!(answer.codes(), ["BAD_USER_INPUT"], "{variables}: {}", answer.body);
        assert!(answer.body["data"]["searchArticles"].is_null(), "{}", answer.body);
    }
}
on_both!(paging_through_results);

async fn hostile_input_is_harmless(app: TestApp) {
    let news = fixtures::section(&app.db, "news", "News", None).await;
    story(
        &app,
        &news,
        "kabul",
        "Kabul market reopens",
        "Traders return to the old city.",
        "Stalls and drought and rain.",
        10,
    )
    .await;
    story(
        &app,
        &news,
        "quote",
        "He said \"no\" and left",
        "It's a (short) story: a:b, c*d.",
        "NOT this AND that OR other.",
        20,
    )
    .await;
    let (_, editor) = app.staff(Role::Editor).await;

    let long_words = "drought ".repeat(75);
    let long_letters = "a".repeat(600);
    let just_under = format!("kabul {}", "x".repeat(494));
    let hostile: Vec<(&str, String)> = vec![
        ("a lone quote", "\"".into()),
        ("unbalanced quote", "\"kabul".into()),
        ("boolean words", "AND OR NOT".into()),
        ("star", "*".into()),
        ("prefix star", "kab*".into()),
        ("column filter", "a:b".into()),
        ("headline column", "headline:kabul".into()),
        ("open paren", "(".into()),
        ("parens", "(kabul OR market)".into()),
        ("sql injection", "'; DROP TABLE articles; --".into()),
        ("sql injection 2", "kabul') OR 1=1 --".into()),
        ("sql injection 3", "kabul'); --".into()),
        ("fts near", "NEAR(kabul market, 2)".into()),
        ("caret", "^kabul".into()),
        ("minus", "-kabul".into()),
        ("plus and pipes", "kabul | market & !rain".into()),
        ("tsquery syntax", "kabul:* & (market <-> reopens)".into()),
        ("backslashes", "\\\\ \\' \\\"".into()),
        ("percent and underscore", "%_%".into()),
        ("no word", "!!!".into()),
        ("only spaces", "   ".into()),
        ("empty", "".into()),
        ("emoji", "🙂🙂".into()),
        ("accents", "Kábul çafé".into()),
        ("non latin", "кабул 喀布尔".into()),
        ("control chars", "kabul\u{1}\u{7f}".into()),
        ("600 letters", long_letters),
        ("600 characters of words", long_words),
        ("500 characters", just_under),
    ];
    // Every query is tried before the verdict, so that a failure lists all the bad ones.
    let mut wrong = Vec::new();
    for token in [None, Some(editor.as_str())] {
        let who = if token.is_some() { "editor" } else { "anonymous" };
        for (label, query) in &hostile {
            let answer = app.post(token, SEARCH, json!({ "query": query, "first": 5 })).await;
            let connection = &answer.body["data"]["searchArticles"];
            let fine = answer.status == axum::http::StatusCode::OK
                && match answer.codes().as_slice() {
                    [] => connection["edges"].is_array() && connection["totalCount"].is_i64(),
                    [code] => code == "BAD_USER_INPUT" && connection.is_null(),
                    _ => false,
                };
            if !fine {
                wrong.push(format!("{label} ({query:?}) as {who}: {} {}", answer.status, answer.body));
            }
        }
    }
    assert!(wrong.is_empty(), "each must answer data or BAD_USER_INPUT:\n{}", wrong.join("\n"));

    // Some of them have a known answer.
    for (label, query) in [
        ("no word", "!!!"),
        ("a lone quote", "\""),
        ("star", "*"),
        ("open paren", "("),
        ("empty", ""),
        ("only spaces", "   "),
        ("emoji", "🙂🙂"),
    ] {
        let answer = app.post(None, SEARCH, json!({ "query": query })).await;
        assert_eq!(answer.codes(), ["BAD_USER_INPUT"], "{label}: {}", answer.body);
        assert_eq!(answer.body["errors"][0]["extensions"]["field"], "query", "{label}: {}", answer.body);
    }
    let too_long = app.post(None, SEARCH, json!({ "query": "drought ".repeat(75) })).await;
    assert_eq!(too_long.codes(), ["BAD_USER_INPUT"], "longer than 500 characters: {}", too_long.body);

    for (label, query) in [("unbalanced quote", "\"kabul"), ("sql injection 3", "kabul'); --")] {
        let found = search(&app, None, query).await;
        assert!(
            slugs(&found).contains(&"kabul".to_owned()),
            "{label}: the word in it still finds the article: {found}"
        );
    }

    // The table is still there and answers.
    let after = app.query("{ articles { totalCount nodes { slug } } }", json!({})).await;
    assert_eq!(after["articles"]["totalCount"], 2);
    let found = search(&app, None, "kabul").await;
    assert_eq!(slugs(&found), ["kabul"]);
}
on_both!(hostile_input_is_harmless);

/// A NUL character is something no article contains; on PostgreSQL it cannot even be
/// part of a text value, which must not turn into an internal error.
async fn nul_characters_are_harmless(app: TestApp) {
    let news = fixtures::section(&app.db, "news", "News", None).await;
    story(&app, &news, "kabul", "Kabul market reopens", "Traders return.", "Stalls open.", 10).await;
    let mut wrong = Vec::new();
    for query in ["kabul\u{0}market", "kabul\u{0}", "\u{0}kabul", "\u{0}"] {
        let answer = app.post(None, SEARCH, json!({ "query": query })).await;
        let fine = match answer.codes().as_slice() {
            [] => answer.body["data"]["searchArticles"]["edges"].is_array(),
            [code] => code == "BAD_USER_INPUT",
            _ => false,
        };
        if !fine {
            wrong.push(format!("{query:?}: {}", answer.body));
        }
    }
    assert!(wrong.is_empty(), "each must answer data or BAD_USER_INPUT:\n{}", wrong.join("\n"));
    assert_eq!(slugs(&search(&app, None, "kabul").await), ["kabul"]);
}
on_both!(nul_characters_are_harmless);

/// The words of a query are words on both databases: `or`, a leading `-` and quotes are
/// not operators (SQLite quotes every word so that nothing is read as FTS5 syntax, and
/// the same query must find the same articles on PostgreSQL), and punctuation inside a
/// word (an apostrophe) does not turn its pieces into extra required words.
async fn query_words_mean_the_same_on_both_backends(app: TestApp) {
    let news = fixtures::section(&app.db, "news", "News", None).await;
    story(
        &app,
        &news,
        "budget-vote",
        "Parliament debates the budget",
        "A vote is expected on Friday.",
        "Ministers defended the plan.",
        20,
    )
    .await;
    story(&app, &news, "budget-only", "The budget in numbers", "Where the money goes.", "Spending rises again.", 30)
        .await;
    story(
        &app,
        &news,
        "vote-only",
        "Council vote delayed",
        "Members asked for more time.",
        "The session closed early.",
        40,
    )
    .await;

    // Every case is tried before the verdict, so that a failure lists all of them.
    let mut wrong = Vec::new();
    for (query, allowed, required) in [
        // All words are required: `or` is no operator that lets one of them go missing.
        ("budget or vote", &["budget-vote"][..], &[][..]),
        ("budget OR vote", &["budget-vote"][..], &[][..]),
        // A leading minus does not exclude a word.
        ("budget -vote", &["budget-vote"][..], &["budget-vote"][..]),
        // Quotes do not make the words a phrase: both words are in budget-vote.
        ("\"budget vote\"", &["budget-vote"][..], &["budget-vote"][..]),
        // A possessive still finds the word.
        ("Parliament's budget", &["budget-vote"][..], &["budget-vote"][..]),
        ("Parliament's", &["budget-vote"][..], &["budget-vote"][..]),
    ] {
        let found = slugs(&search(&app, None, query).await);
        let unexpected: Vec<&String> = found.iter().filter(|s| !allowed.contains(&s.as_str())).collect();
        let missing: Vec<&&str> = required.iter().filter(|s| !found.contains(&s.to_string())).collect();
        if !unexpected.is_empty() || !missing.is_empty() {
            wrong.push(format!("{query:?} found {found:?}: unexpected {unexpected:?}, missing {missing:?}"));
        }
    }
    let backend = if app.is_postgres() { "PostgreSQL" } else { "SQLite" };
    assert!(wrong.is_empty(), "on {backend}:\n{}", wrong.join("\n"));
}
on_both!(query_words_mean_the_same_on_both_backends);
