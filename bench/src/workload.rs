//! The scenarios: the GraphQL documents a news site's pages send, and the dataset's
//! articles and sections they ask for.

use std::net::SocketAddr;
use std::sync::Arc;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use crate::load::{self, Call};

const ARTICLE_PAGE: &str = r#"query ArticlePage($slug: String!) {
  article(slug: $slug) {
    id headline standfirst publishedAt readingTimeMinutes
    section { name path breadcrumbs { name slug } }
    leadImage { url altText caption width height credit { creditLine } }
    authors { name slug }
    tags { name slug }
    blocks { __typename ... on HeadingBlock { level text } ... on ParagraphBlock { html }
      ... on ImageBlock { url altText caption image { credit { creditLine } } } }
    commentCount
    comments(first: 20) {
      totalCount pageInfo { hasNextPage endCursor }
      nodes { id authorName bodyHtml createdAt replyCount
        replies(first: 5) { totalCount nodes { id authorName bodyHtml createdAt } } }
    }
  }
}"#;

const SECTION_FRONT: &str = r#"query SectionFront($slug: String!, $after: String) {
  section(slug: $slug) {
    name path
    articles(first: 20, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { headline slug standfirst publishedAt
        leadImage { url altText credit { creditLine } }
        authors { name slug } }
    }
  }
}"#;

const HOME: &str = r#"query Home {
  articles(first: 50) {
    nodes { headline slug standfirst publishedAt
      section { name path }
      leadImage { url altText credit { creditLine } }
      authors { name slug } }
  }
}"#;

const ADD_COMMENT: &str = r#"mutation AddComment($article: ID!, $body: String!) {
  addComment(input: { articleId: $article, authorName: "Load Test", body: $body }) { id status }
}"#;

/// The section whose front the benchmark reads: the dataset's largest.
const SECTION: &str = "news";
/// The page of the section front `deep_page` reads.
const DEEP_PAGE: usize = 200;

pub struct Workload {
    pub article_page: Call,
    section_front: Call,
    deep_page: Call,
    home: Call,
    add_comment: Call,
}

/// A query the server must answer once it is up.
pub fn probe() -> Call {
    get(HOME, &json!({}))
}

fn get(query: &str, variables: &Value) -> Call {
    let encode = |text: &str| utf8_percent_encode(text, NON_ALPHANUMERIC).to_string();
    Call::Get(format!("/graphql?query={}&variables={}", encode(query), encode(&variables.to_string())))
}

async fn data(addr: SocketAddr, send: &Call) -> Result<Value, String> {
    let (status, body) = load::fetch(addr, send).await?;
    let answer: Value = serde_json::from_slice(&body).map_err(|e| format!("not JSON ({status}): {e}"))?;
    if status != 200 || answer.get("errors").is_some() {
        return Err(format!("the server answered {status}: {answer}"));
    }
    Ok(answer["data"].clone())
}

impl Workload {
    /// Finds the newest article (the dataset gives it the most comments), and the cursor of
    /// the deep page by walking the section front page by page.
    pub async fn discover(addr: SocketAddr, smoke: bool) -> Result<Workload, String> {
        let home = data(addr, &probe()).await?;
        let newest = &home["articles"]["nodes"][0];
        let slug = newest["slug"].as_str().ok_or("the dataset has no articles")?.to_owned();
        let found = data(addr, &get("query($s: String!) { article(slug: $s) { id } }", &json!({ "s": slug }))).await?;
        let article_id = found["article"]["id"].as_str().ok_or("the newest article has no id")?.to_owned();
        // Comments go to an article other than the one whose page is measured.
        let other = home["articles"]["nodes"][49]["slug"].as_str().unwrap_or(&slug).to_owned();
        let found = data(addr, &get("query($s: String!) { article(slug: $s) { id } }", &json!({ "s": other }))).await?;
        let comment_target = found["article"]["id"].as_str().unwrap_or(&article_id).to_owned();

        let mut after = Value::Null;
        let pages = if smoke { 5 } else { DEEP_PAGE };
        for _ in 1..pages {
            let page = data(addr, &get(SECTION_FRONT, &json!({ "slug": SECTION, "after": after }))).await?;
            let info = &page["section"]["articles"]["pageInfo"];
            if info["hasNextPage"] != true {
                return Err(format!("section {SECTION} has fewer than {pages} pages"));
            }
            after = info["endCursor"].clone();
        }
        Ok(Workload {
            article_page: get(ARTICLE_PAGE, &json!({ "slug": slug })),
            section_front: get(SECTION_FRONT, &json!({ "slug": SECTION })),
            deep_page: get(SECTION_FRONT, &json!({ "slug": SECTION, "after": after })),
            home: get(HOME, &json!({})),
            add_comment: Call::Post(Arc::new(move |n| {
                json!({ "query": ADD_COMMENT, "variables": { "article": comment_target, "body": format!("Comment number {n} of the load test.") } })
                    .to_string()
            })),
        })
    }

    /// The scenarios in the order they run; writes come last, and only without the
    /// response cache (they are never cached).
    pub fn scenarios(&self, response_cache: bool) -> Vec<(&'static str, Call)> {
        let mut all = vec![
            ("article_page", self.article_page.clone()),
            ("section_front", self.section_front.clone()),
            ("deep_page", self.deep_page.clone()),
            ("home", self.home.clone()),
        ];
        if !response_cache {
            all.push(("add_comment", self.add_comment.clone()));
        }
        all
    }
}
