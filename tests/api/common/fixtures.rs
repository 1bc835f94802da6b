//! Rows written straight into the real test database, for the scenarios to read back
//! over GraphQL.

use chrono::{DateTime, Duration, Utc};
use entity::article::ArticleStatus;
use entity::comment::CommentStatus;
use entity::user::Role;
use entity::{
    article, article_author, article_revision, article_slug, article_tag, author, comment, image, section, tag, user,
};
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use std::sync::atomic::{AtomicU64, Ordering};

static SEQUENCE: AtomicU64 = AtomicU64::new(1);

fn next() -> u64 {
    SEQUENCE.fetch_add(1, Ordering::SeqCst)
}

pub fn now() -> DateTime<Utc> {
    newsroom::domain::now()
}

pub fn ago(minutes: i64) -> DateTime<Utc> {
    now() - Duration::minutes(minutes)
}

pub async fn user(db: &DatabaseConnection, role: Role) -> user::Model {
    let n = next();
    user::ActiveModel {
        email: Set(format!("staff{n}@example.com")),
        name: Set(format!("Staff {n}")),
        role: Set(role),
        password_hash: Set(None),
        created_at: Set(now()),
        updated_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert user")
}

pub async fn section(
    db: &DatabaseConnection,
    slug: &str,
    name: &str,
    parent: Option<&section::Model>,
) -> section::Model {
    section::ActiveModel {
        slug: Set(slug.into()),
        name: Set(name.into()),
        description: Set(Some(format!("All about {name}"))),
        parent_id: Set(parent.map(|p| p.id)),
        position: Set(0),
        created_at: Set(now()),
        updated_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert section")
}

pub async fn image(
    db: &DatabaseConnection,
    photographer: Option<&str>,
    agency: Option<&str>,
    distributor: Option<&str>,
    license: Option<&str>,
) -> image::Model {
    let n = next();
    image::ActiveModel {
        url: Set(format!("https://images.example.com/{n}.jpg")),
        alt_text: Set(format!("Picture {n}")),
        caption: Set(Some(format!("Caption {n}"))),
        width: Set(Some(1600)),
        height: Set(Some(900)),
        photographer: Set(photographer.map(Into::into)),
        agency: Set(agency.map(Into::into)),
        distributor: Set(distributor.map(Into::into)),
        license: Set(license.map(Into::into)),
        created_at: Set(now()),
        updated_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert image")
}

pub async fn author(db: &DatabaseConnection, slug: &str, name: &str) -> author::Model {
    author::ActiveModel {
        slug: Set(slug.into()),
        name: Set(name.into()),
        bio: Set(Some(format!("{name} reports for the newsroom."))),
        user_id: Set(None),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert author")
}

pub async fn tag(db: &DatabaseConnection, slug: &str, name: &str) -> tag::Model {
    tag::ActiveModel { slug: Set(slug.into()), name: Set(name.into()), created_at: Set(now()), ..Default::default() }
        .insert(db)
        .await
        .expect("insert tag")
}

/// What an article fixture should be; the defaults make a published article.
pub struct ArticleSpec<'a> {
    pub slug: String,
    pub headline: String,
    pub standfirst: Option<String>,
    pub body: String,
    pub status: ArticleStatus,
    pub section: &'a section::Model,
    pub published_at: Option<DateTime<Utc>>,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub lead_image: Option<&'a image::Model>,
    pub authors: Vec<&'a author::Model>,
    pub tags: Vec<&'a tag::Model>,
    pub created_by: Option<i64>,
    pub comments_open: bool,
}

impl<'a> ArticleSpec<'a> {
    pub fn published(slug: &str, section: &'a section::Model, published_at: DateTime<Utc>) -> Self {
        ArticleSpec {
            slug: slug.into(),
            headline: format!("Headline of {slug}"),
            standfirst: Some(format!("Standfirst of {slug}.")),
            body: format!("## About {slug}\n\nA first paragraph about {slug}.\n"),
            status: ArticleStatus::Published,
            section,
            published_at: Some(published_at),
            scheduled_at: None,
            lead_image: None,
            authors: vec![],
            tags: vec![],
            created_by: None,
            comments_open: true,
        }
    }

    pub fn draft(slug: &str, section: &'a section::Model) -> Self {
        ArticleSpec { status: ArticleStatus::Draft, published_at: None, ..ArticleSpec::published(slug, section, now()) }
    }
}

pub async fn article(db: &DatabaseConnection, spec: ArticleSpec<'_>) -> article::Model {
    let created_at = spec.published_at.map(|p| p - Duration::hours(1)).unwrap_or_else(now);
    let saved = article::ActiveModel {
        slug: Set(spec.slug),
        headline: Set(spec.headline),
        standfirst: Set(spec.standfirst),
        body_markdown: Set(spec.body),
        status: Set(spec.status),
        section_id: Set(spec.section.id),
        lead_image_id: Set(spec.lead_image.map(|i| i.id)),
        comments_open: Set(spec.comments_open),
        seo_title: Set(None),
        seo_description: Set(None),
        canonical_url: Set(None),
        created_by: Set(spec.created_by),
        created_at: Set(created_at),
        updated_at: Set(spec.published_at.unwrap_or(created_at)),
        published_at: Set(spec.published_at),
        scheduled_at: Set(spec.scheduled_at),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert article");
    for (position, author) in spec.authors.iter().enumerate() {
        article_author::ActiveModel {
            article_id: Set(saved.id),
            author_id: Set(author.id),
            position: Set(position as i32),
            role: Set(Default::default()),
        }
        .insert(db)
        .await
        .expect("insert byline");
    }
    for tag in &spec.tags {
        article_tag::ActiveModel { article_id: Set(saved.id), tag_id: Set(tag.id) }
            .insert(db)
            .await
            .expect("insert tag link");
    }
    article_revision::ActiveModel {
        article_id: Set(saved.id),
        number: Set(1),
        headline: Set(saved.headline.clone()),
        standfirst: Set(saved.standfirst.clone()),
        body_markdown: Set(saved.body_markdown.clone()),
        editor_id: Set(None),
        created_at: Set(created_at),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert revision");
    saved
}

pub async fn old_slug(db: &DatabaseConnection, article: &article::Model, slug: &str) {
    article_slug::ActiveModel { slug: Set(slug.into()), article_id: Set(article.id), created_at: Set(now()) }
        .insert(db)
        .await
        .expect("insert old slug");
}

pub async fn comment(
    db: &DatabaseConnection,
    article: &article::Model,
    parent: Option<&comment::Model>,
    status: CommentStatus,
    body: &str,
    created_at: DateTime<Utc>,
) -> comment::Model {
    let n = next();
    let created = comment::ActiveModel {
        article_id: Set(article.id),
        parent_id: Set(parent.map(|p| p.id)),
        user_id: Set(None),
        author_name: Set(format!("Reader {n}")),
        author_email: Set(Some(format!("reader{n}@example.org"))),
        body: Set(body.into()),
        status: Set(status),
        client_hash: Set(None),
        created_at: Set(created_at),
        moderated_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert comment");
    newsroom::domain::comments::recount_around(db, &created).await.expect("recount comments");
    created
}
