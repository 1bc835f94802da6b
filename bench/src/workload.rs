//! The scenarios: the GraphQL documents a news site's pages send, and the dataset's
//! articles and sections they ask for.

use std::net::SocketAddr;
use std::sync::Arc;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use crate::load::{self, Call};

pub const ARTICLE_PAGE: &str = r#"query ArticlePage($slug: String!) {
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

pub const SECTION_FRONT: &str = r#"query SectionFront($slug: String!, $after: String) {
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

const UPDATE_ARTICLE: &str = r#"mutation UpdateArticle($id: ID!, $standfirst: String!) {
  updateArticle(id: $id, input: { standfirst: $standfirst }) { id }
}"#;

const MODERATE_COMMENT: &str = r#"mutation ModerateComment($id: ID!, $status: CommentStatus!) {
  moderateComment(id: $id, status: $status) { id status }
}"#;

const RENAME_SECTION: &str = r#"mutation RenameSection($id: ID!, $name: String!) {
  updateSection(id: $id, input: { name: $name }) { id }
}"#;

const ARTICLE_IN_SECTION: &str = "query($s: String!) { article(slug: $s) { id section { id slug } } }";

const SECTIONS: &str = "{ sections { slug } }";

const ARTICLE_IDS: &str = r#"query ArticleIds($after: String) {
  articles(first: 100, after: $after) { pageInfo { endCursor } nodes { id slug section { slug } } }
}"#;

/// The soak's traffic, in twentieths: what each kind of request is, and how many of every
/// 20 requests it makes up. Reads 85%, anonymous comments 10%, editors' article updates 5%.
pub const SOAK_MIX: [(&str, u32); 6] = [
    ("article_page", 9),
    ("section_front", 4),
    ("deep_page", 2),
    ("home", 2),
    ("add_comment", 2),
    ("update_article", 1),
];

/// The scenarios of [`Workload::scenarios`], in the order they run.
pub const SCENARIOS: [&str; 5] = ["article_page", "section_front", "deep_page", "home", "add_comment"];

/// The section whose front the benchmark reads: the dataset's largest.
pub const SECTION: &str = "news";
/// The page of the section front `deep_page` reads: the 200th, or the 5th in a smoke run.
pub fn deep_page(smoke: bool) -> usize {
    if smoke { 5 } else { 200 }
}

pub struct Workload {
    pub article_page: Call,
    section_front: Call,
    deep_page: Call,
    home: Call,
    add_comment: Call,
    /// The cursors of the section front's second page and on, to its deep page.
    section_cursors: Vec<Value>,
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
    load::Client::new(addr).data(send).await
}

impl Workload {
    /// Finds the newest article (the dataset gives it the most comments), and the cursor of
    /// the deep page by walking the section front page by page.
    pub async fn discover(addr: SocketAddr, smoke: bool) -> Result<Workload, String> {
        let home = data(addr, &probe()).await?;
        let page = PageArticle::newest(addr, &home).await?;
        // Comments go to an article other than the one whose page is measured.
        let other = home["articles"]["nodes"][49]["slug"].as_str().unwrap_or(&page.slug).to_owned();
        let found = data(addr, &get("query($s: String!) { article(slug: $s) { id } }", &json!({ "s": other }))).await?;
        let comment_target = found["article"]["id"].as_str().unwrap_or(&page.id).to_owned();

        let mut after = Value::Null;
        let mut section_cursors = Vec::new();
        let pages = deep_page(smoke);
        for _ in 1..pages {
            let page = data(addr, &get(SECTION_FRONT, &json!({ "slug": SECTION, "after": after }))).await?;
            let info = &page["section"]["articles"]["pageInfo"];
            if info["hasNextPage"] != true {
                return Err(format!("section {SECTION} has fewer than {pages} pages"));
            }
            after = info["endCursor"].clone();
            section_cursors.push(after.clone());
        }
        Ok(Workload {
            section_cursors,
            article_page: page.page(),
            section_front: get(SECTION_FRONT, &json!({ "slug": SECTION })),
            deep_page: get(SECTION_FRONT, &json!({ "slug": SECTION, "after": after })),
            home: get(HOME, &json!({})),
            add_comment: Call::Post(Arc::new(move |n| {
                json!({ "query": ADD_COMMENT, "variables": { "article": comment_target, "body": format!("Comment number {n} of the load test.") } })
                    .to_string()
            })),
        })
    }

    /// The scenarios in the order they run, by the names of [`SCENARIOS`]; writes come
    /// last, and only without the response cache (they are never cached).
    pub fn scenarios(&self, response_cache: bool) -> Vec<(&'static str, Call)> {
        let calls = [&self.article_page, &self.section_front, &self.deep_page, &self.home, &self.add_comment];
        SCENARIOS
            .into_iter()
            .zip(calls)
            .filter(|&(name, _)| !response_cache || name != "add_comment")
            .map(|(name, call)| (name, call.clone()))
            .collect()
    }
}

/// The article whose page the benchmark reads: the newest, which the dataset gives the
/// most comments.
pub struct PageArticle {
    pub id: String,
    pub slug: String,
    pub section_id: String,
    section_slug: String,
}

impl PageArticle {
    pub async fn find(addr: SocketAddr) -> Result<PageArticle, String> {
        PageArticle::newest(addr, &data(addr, &probe()).await?).await
    }

    /// The newest article of `home`, the answer of [`probe`].
    async fn newest(addr: SocketAddr, home: &Value) -> Result<PageArticle, String> {
        let slug = home["articles"]["nodes"][0]["slug"].as_str().ok_or("the dataset has no articles")?.to_owned();
        let found = data(addr, &get(ARTICLE_IN_SECTION, &json!({ "s": slug }))).await?;
        let text = |value: &Value| value.as_str().map(str::to_owned).ok_or("the newest article has no id or section");
        Ok(PageArticle {
            id: text(&found["article"]["id"])?,
            section_id: text(&found["article"]["section"]["id"])?,
            section_slug: text(&found["article"]["section"]["slug"])?,
            slug,
        })
    }

    /// Its page, as the `article_page` scenario reads it.
    pub fn page(&self) -> Call {
        get(ARTICLE_PAGE, &json!({ "slug": self.slug }))
    }

    /// Its page with the newest comments first, as a reader waiting for a new one reads it.
    pub fn page_newest_comments_first(&self) -> Call {
        let query = ARTICLE_PAGE.replacen("comments(first: 20)", "comments(first: 20, order: NEWEST_FIRST)", 1);
        get(&query, &json!({ "slug": self.slug }))
    }

    /// The ids of up to `count` of the hundred newest articles, of other sections than this
    /// one's.
    pub async fn elsewhere(&self, addr: SocketAddr, count: usize) -> Result<Vec<String>, String> {
        let newest = newest_articles(addr, 100).await?;
        let ids: Vec<String> = (newest.ids.into_iter().zip(newest.sections))
            .filter(|(_, section)| *section != self.section_slug)
            .map(|(id, _)| id)
            .take(count)
            .collect();
        if ids.is_empty() { Err("the newest articles are all of the page's section".into()) } else { Ok(ids) }
    }
}

/// A POST of `query` with `variables`, signed in as staff with `token`.
fn staff_post(token: &Arc<str>, query: &str, variables: Value) -> Call {
    let body = json!({ "query": query, "variables": variables }).to_string();
    Call::StaffPost(token.clone(), Arc::new(move |_| body.clone()))
}

/// An editor's update of an article's standfirst.
pub fn update_standfirst(token: &Arc<str>, article_id: &str, standfirst: &str) -> Call {
    staff_post(token, UPDATE_ARTICLE, json!({ "id": article_id, "standfirst": standfirst }))
}

/// An editor's new name for a section.
pub fn rename_section(token: &Arc<str>, section_id: &str, name: &str) -> Call {
    staff_post(token, RENAME_SECTION, json!({ "id": section_id, "name": name }))
}

/// An editor's approval of a comment.
pub fn approve_comment(token: &Arc<str>, comment_id: &str) -> Call {
    staff_post(token, MODERATE_COMMENT, json!({ "id": comment_id, "status": "APPROVED" }))
}

/// A reader's comment, held for moderation.
pub fn add_comment(article_id: &str, body: &str) -> Call {
    let body = json!({ "query": ADD_COMMENT, "variables": { "article": article_id, "body": body } }).to_string();
    Call::Post(Arc::new(move |_| body.clone()))
}

/// Articles by id, slug and the slug of their section.
struct Articles {
    ids: Vec<String>,
    slugs: Vec<String>,
    sections: Vec<String>,
}

/// The `count` newest articles, a hundred a page.
async fn newest_articles(addr: SocketAddr, count: usize) -> Result<Articles, String> {
    let mut articles = Articles { ids: Vec::new(), slugs: Vec::new(), sections: Vec::new() };
    let mut after = Value::Null;
    while articles.ids.len() < count {
        let page = data(addr, &get(ARTICLE_IDS, &json!({ "after": after }))).await?;
        let nodes = page["articles"]["nodes"].as_array().filter(|nodes| !nodes.is_empty());
        for node in nodes.ok_or("the dataset has fewer articles than asked for")? {
            articles.ids.push(node["id"].as_str().ok_or("an article without id")?.to_owned());
            articles.slugs.push(node["slug"].as_str().ok_or("an article without slug")?.to_owned());
            articles.sections.push(node["section"]["slug"].as_str().ok_or("an article without section")?.to_owned());
        }
        after = page["articles"]["pageInfo"]["endCursor"].clone();
    }
    articles.ids.truncate(count);
    articles.slugs.truncate(count);
    articles.sections.truncate(count);
    Ok(articles)
}

/// One of `items`, picked by the request's number `n`.
fn pick(items: &[String], n: u64) -> &str {
    &items[(n % items.len() as u64) as usize]
}

impl Workload {
    /// The soak's traffic as one call, in the shares of [`SOAK_MIX`]: pages of the
    /// `articles` newest articles, the fronts of every section, the deep pages of the
    /// largest section and the home page; anonymous comments on those articles (held for
    /// moderation, as by default), and updates of their standfirst by an editor signed in
    /// with `editor_token`, which move the response cache on to a new content version.
    /// Answers each kind of request by name, in the order of [`SOAK_MIX`].
    pub async fn soak_calls(
        &self,
        addr: SocketAddr,
        articles: usize,
        editor_token: &str,
    ) -> Result<Vec<(&'static str, Call)>, String> {
        let Articles { ids, slugs, .. } = newest_articles(addr, articles).await?;
        let sections = data(addr, &get(SECTIONS, &json!({}))).await?;
        let section_fronts = Call::OneOf(
            sections["sections"]
                .as_array()
                .ok_or("no sections")?
                .iter()
                .filter_map(|section| section["slug"].as_str())
                .map(|slug| get(SECTION_FRONT, &json!({ "slug": slug })))
                .collect(),
        );
        let one_of = |calls: Vec<Call>| Call::OneOf(calls.into());
        let article_pages = one_of(slugs.iter().map(|slug| get(ARTICLE_PAGE, &json!({ "slug": slug }))).collect());
        let deep_pages = one_of(
            self.section_cursors
                .iter()
                .map(|after| get(SECTION_FRONT, &json!({ "slug": SECTION, "after": after })))
                .collect(),
        );
        let ids: Arc<[String]> = ids.into();
        let comment_on = ids.clone();
        let add_comment = Call::Post(Arc::new(move |n| {
            json!({ "query": ADD_COMMENT, "variables": {
                "article": pick(&comment_on, n), "body": format!("Comment number {n} of the soak.") } })
            .to_string()
        }));
        let update_article = Call::StaffPost(
            editor_token.into(),
            Arc::new(move |n| {
                json!({ "query": UPDATE_ARTICLE, "variables": {
                    "id": pick(&ids, n), "standfirst": format!("Standfirst as of update {n} of the soak.") } })
                .to_string()
            }),
        );
        SOAK_MIX
            .iter()
            .map(|&(name, _)| {
                let call = match name {
                    "article_page" => &article_pages,
                    "section_front" => &section_fronts,
                    "deep_page" => &deep_pages,
                    "home" => &self.home,
                    "add_comment" => &add_comment,
                    "update_article" => &update_article,
                    other => return Err(format!("no call for {other}")),
                };
                Ok((name, call.clone()))
            })
            .collect()
    }
}

/// The calls of [`Workload::soak_calls`] as one, each in its share of [`SOAK_MIX`].
pub fn soak_mix(calls: &[(&'static str, Call)]) -> Call {
    let weighted = calls
        .iter()
        .zip(SOAK_MIX)
        .flat_map(|((_, call), (_, twentieths))| std::iter::repeat_n(call.clone(), twentieths as usize));
    Call::OneOf(weighted.collect())
}
