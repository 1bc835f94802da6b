//! Field errors follow the GraphQL spec's null rules: a field that raised an error is
//! null, and a non-null one passes the null up to the nearest nullable field or list
//! item, up to `data: null`; and introspection describes this schema.

use crate::common::TestApp;
use crate::common::fixtures::{self, ArticleSpec, ago};
use serde_json::{Value, json};

async fn field_errors_null_the_nearest_nullable_parent(app: TestApp) {
    let world = fixtures::section(&app.db, "world", "World", None).await;
    fixtures::article(&app.db, ArticleSpec::published("lead-story", &world, ago(10))).await;

    // `revisions` ([ArticleRevision!]!) is for editors: the article (nullable) is null.
    let answer =
        app.post(None, r#"{ a: article(slug: "lead-story") { id headline revisions { number } } }"#, json!({})).await;
    assert_eq!(answer.body["data"], json!({ "a": null }), "{}", answer.body);
    assert_eq!(answer.codes(), ["UNAUTHENTICATED"]);
    assert_eq!(answer.body["errors"][0]["path"], json!(["a", "revisions"]));

    // A refused argument deep in non-null fields and lists nulls everything up to the root.
    let deep = "{ articles(first: 1) { nodes { id section { articles(first: 500) { totalCount } } } } }";
    let answer = app.post(None, deep, json!({})).await;
    assert_eq!(answer.body["data"], Value::Null, "{}", answer.body);
    assert_eq!(answer.codes(), ["BAD_USER_INPUT"]);

    // A non-null root field takes its siblings with it.
    let answer = app.post(None, "{ sections { slug } articles(first: 1000) { totalCount } }", json!({})).await;
    assert_eq!(answer.body["data"], Value::Null, "{}", answer.body);

    // A nullable field takes the null itself, and nothing else changes.
    let node = r#"{ node(id: "not-an-id") { id } sections { slug } }"#;
    let answer = app.post(None, node, json!({})).await;
    assert_eq!(answer.body["data"], json!({ "node": null, "sections": [{ "slug": "world" }] }));
}
on_both!(field_errors_null_the_nearest_nullable_parent);

async fn introspection_describes_this_schema(app: TestApp) {
    let answer = app.post(None, "{ __schema { description queryType { name } } }", json!({})).await;
    let description = answer.data()["__schema"]["description"].as_str().unwrap_or_default().to_owned();
    assert!(description.starts_with("newsroom"), "{description}");
    assert!(!description.contains("A GraphQL Schema defines"), "{description}");
}
on_both!(introspection_describes_this_schema);
