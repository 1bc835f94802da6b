//! A deterministic benchmark dataset, written in the format `newsroom import` reads.
//!
//! The same shape and seed give the same file byte for byte (but for the export time in
//! the header). Half of the articles fall in the first root section and its subsections,
//! so one section front runs hundreds of pages deep; the newest few articles carry
//! thousands of comments with replies, the rest of the comments spread over the newest
//! third of the articles.

use std::io::Write;

use chrono::{DateTime, Duration, TimeZone, Utc};
use entity::article::{ArticleKind, ArticleStatus};
use entity::comment::CommentStatus;
use entity::user::Role;
use entity::{article, article_author, article_tag, author, comment, image, section, tag, user};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::transfer::{RowCounts, RowWriter, Table, TransferError};

/// How much of everything to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shape {
    pub sections: u32,
    pub articles: u32,
    pub images: u32,
    pub authors: u32,
    pub tags: u32,
    pub comments: u32,
    pub seed: u64,
}

impl Default for Shape {
    fn default() -> Self {
        Shape { sections: 30, articles: 10_000, images: 10_000, authors: 1_000, tags: 500, comments: 100_000, seed: 1 }
    }
}

/// The share of all comments each of the newest articles carries.
const HOT_SHARES: [f64; 5] = [0.05, 0.03, 0.02, 0.01, 0.01];
/// The share of a thread's comments that are replies to its top-level ones.
const REPLY_SHARE: f64 = 0.6;

const ROOTS: [(&str, &str); 6] = [
    ("news", "News"),
    ("world", "World"),
    ("business", "Business"),
    ("culture", "Culture"),
    ("sport", "Sport"),
    ("science", "Science"),
];
const DESKS: [&str; 12] = [
    "Politics",
    "Economy",
    "Health",
    "Education",
    "Climate",
    "Technology",
    "Transport",
    "Housing",
    "Justice",
    "Media",
    "Energy",
    "Cities",
];
const FIRST_NAMES: [&str; 20] = [
    "Amina", "Joseph", "Mira", "Lena", "Tomas", "Priya", "Kwame", "Sofia", "Daniel", "Yuki", "Omar", "Elena", "Ravi",
    "Grace", "Mateo", "Hana", "Felix", "Nadia", "Samuel", "Ingrid",
];
const LAST_NAMES: [&str; 20] = [
    "Otieno", "Mwangi", "Hale", "Novak", "Berg", "Sharma", "Mensah", "Ruiz", "Okafor", "Tanaka", "Haddad", "Petrova",
    "Iyer", "Walsh", "Silva", "Kimura", "Brandt", "Karimi", "Adeyemi", "Lund",
];
const AGENCIES: [Option<&str>; 5] = [Some("AFP"), Some("Reuters"), Some("AP"), Some("EPA"), None];
const WORDS: [&str; 96] = [
    "council",
    "minister",
    "budget",
    "river",
    "harbour",
    "election",
    "court",
    "school",
    "market",
    "bridge",
    "farmers",
    "rail",
    "hospital",
    "talks",
    "treaty",
    "coast",
    "museum",
    "festival",
    "league",
    "mayor",
    "drought",
    "harvest",
    "union",
    "strike",
    "ferry",
    "airport",
    "tariff",
    "report",
    "inquiry",
    "vote",
    "reform",
    "housing",
    "energy",
    "grid",
    "wind",
    "solar",
    "storm",
    "flood",
    "valley",
    "village",
    "capital",
    "province",
    "border",
    "exports",
    "imports",
    "prices",
    "wages",
    "rents",
    "students",
    "teachers",
    "nurses",
    "doctors",
    "police",
    "judges",
    "lawmakers",
    "voters",
    "residents",
    "workers",
    "officials",
    "experts",
    "scientists",
    "researchers",
    "plan",
    "deal",
    "project",
    "programme",
    "network",
    "service",
    "agency",
    "company",
    "factory",
    "station",
    "library",
    "stadium",
    "season",
    "final",
    "record",
    "survey",
    "study",
    "figures",
    "data",
    "forecast",
    "summit",
    "agreement",
    "proposal",
    "campaign",
    "debate",
    "decision",
    "ruling",
    "appeal",
    "review",
    "audit",
    "funding",
    "investment",
    "growth",
    "recovery",
];
const VERBS: [&str; 16] = [
    "approves",
    "rejects",
    "delays",
    "expands",
    "opens",
    "closes",
    "backs",
    "questions",
    "revives",
    "weighs",
    "announces",
    "cuts",
    "raises",
    "extends",
    "launches",
    "reviews",
];

/// Writes the dataset `shape` describes to `out`; answers the rows per table.
pub fn write(shape: &Shape, out: impl Write) -> Result<RowCounts, TransferError> {
    let mut rng = StdRng::seed_from_u64(shape.seed);
    let mut out = RowWriter::start(out)?;
    // A fixed clock, so that the file does not depend on the day it is made.
    let newest = Utc.with_ymd_and_hms(2026, 6, 1, 8, 0, 0).single().expect("a valid time");

    out.row(Table::Users, &admin(newest))?;
    let sections = sections(shape.sections.max(1), newest);
    for row in &sections {
        out.row(Table::Sections, row)?;
    }
    let images = shape.images.max(1);
    for id in 1..=images {
        out.row(Table::Images, &image(&mut rng, id, newest))?;
    }
    for id in 1..=shape.authors.max(1) {
        out.row(Table::Authors, &author(id, newest))?;
    }
    for id in 1..=shape.tags {
        out.row(Table::Tags, &tag_row(&mut rng, id, newest))?;
    }
    let first_desk: Vec<i64> = sections.iter().filter(|s| s.id == 1 || s.parent_id == Some(1)).map(|s| s.id).collect();
    let published: Vec<DateTime<Utc>> =
        (0..shape.articles as i64).map(|n| newest - Duration::minutes(n * 97 + rng.random_range(0..60))).collect();
    for (n, at) in published.iter().enumerate() {
        let id = n as i64 + 1;
        // The newest article of all leads the first root section itself.
        let section_id = if id == 1 {
            1
        } else if rng.random_bool(0.5) {
            first_desk[rng.random_range(0..first_desk.len())]
        } else {
            rng.random_range(1..=sections.len() as i64)
        };
        let lead = (id - 1) % images as i64 + 1;
        let inline = rng.random_range(1..=images as i64);
        out.row(Table::Articles, &article_row(&mut rng, id, section_id, lead, inline, *at))?;
    }
    let authors = shape.authors.max(1) as i64;
    for id in 1..=shape.articles as i64 {
        let mut byline: Vec<i64> = Vec::new();
        let wanted = rng.random_range(1..=3).min(authors as usize);
        while byline.len() < wanted {
            let author_id = rng.random_range(1..=authors);
            if !byline.contains(&author_id) {
                byline.push(author_id);
            }
        }
        for (position, author_id) in byline.into_iter().enumerate() {
            out.row(
                Table::ArticleAuthors,
                &article_author::Model {
                    article_id: id,
                    author_id,
                    position: position as i32,
                    role: Default::default(),
                },
            )?;
        }
    }
    if shape.tags > 0 {
        for id in 1..=shape.articles as i64 {
            let mut tags: Vec<i64> =
                (0..rng.random_range(0..=4)).map(|_| rng.random_range(1..=shape.tags as i64)).collect();
            tags.sort_unstable();
            tags.dedup();
            for tag_id in tags {
                out.row(Table::ArticleTags, &article_tag::Model { article_id: id, tag_id })?;
            }
        }
    }
    write_comments(&mut out, &mut rng, shape, &published)?;
    out.finish()
}

/// The dataset's one staff account, an admin without a password: scripts mint tokens for it.
pub const ADMIN_EMAIL: &str = "bench@example.com";

fn admin(at: DateTime<Utc>) -> user::Model {
    user::Model {
        id: 1,
        email: ADMIN_EMAIL.into(),
        name: "Benchmark Admin".into(),
        role: Role::Admin,
        password_hash: None,
        created_at: at,
        updated_at: at,
    }
}

/// Root sections first, then the subsections, spread over the roots in turn.
fn sections(count: u32, at: DateTime<Utc>) -> Vec<section::Model> {
    let roots = count.div_ceil(5).min(ROOTS.len() as u32) as usize;
    let mut rows = Vec::new();
    for (n, (slug, name)) in ROOTS.iter().take(roots).enumerate() {
        rows.push(section_row(n as i64 + 1, slug.to_string(), name.to_string(), None, n as i32, at));
    }
    for n in 0..(count as usize).saturating_sub(roots) {
        let parent = (n % roots) as i64 + 1;
        let desk = DESKS[(n / roots) % DESKS.len()];
        let round = n / (roots * DESKS.len());
        let suffix = if round == 0 { String::new() } else { format!("-{}", round + 1) };
        let slug = format!("{}-{}{suffix}", ROOTS[parent as usize - 1].0, desk.to_lowercase());
        rows.push(section_row(rows.len() as i64 + 1, slug, desk.to_string(), Some(parent), n as i32, at));
    }
    rows
}

fn section_row(
    id: i64,
    slug: String,
    name: String,
    parent_id: Option<i64>,
    position: i32,
    at: DateTime<Utc>,
) -> section::Model {
    section::Model {
        id,
        description: Some(format!("Reporting on {}.", name.to_lowercase())),
        slug,
        name,
        parent_id,
        position,
        created_at: at,
        updated_at: at,
    }
}

fn person(n: u32) -> String {
    format!("{} {}", FIRST_NAMES[n as usize % 20], LAST_NAMES[(n as usize / 20) % 20])
}

fn image(rng: &mut StdRng, id: u32, at: DateTime<Utc>) -> image::Model {
    let agency = AGENCIES[rng.random_range(0..AGENCIES.len())];
    image::Model {
        id: id as i64,
        url: format!("https://images.example.com/bench/{id}.jpg"),
        alt_text: format!("{} at the {}", capitalised(word(rng)), word(rng)),
        caption: Some(format!("{}. Photographed for the desk.", sentence(rng, 10))),
        width: Some(1600),
        height: Some(900),
        photographer: Some(person(id * 7)),
        agency: agency.map(str::to_owned),
        distributor: agency.filter(|_| id.is_multiple_of(2)).map(|_| "Getty Images".to_owned()),
        license: Some("editorial use".into()),
        copyright_holder: agency.map(str::to_owned),
        license_expires_at: None,
        created_at: at,
        updated_at: at,
    }
}

fn author(id: u32, at: DateTime<Utc>) -> author::Model {
    let name = person(id);
    author::Model {
        id: id as i64,
        slug: format!("{}-{id}", crate::domain::slug::derive_slug(&name).unwrap_or_default()),
        bio: Some(format!("{name} reports for the desk.")),
        name,
        user_id: None,
        created_at: at,
    }
}

fn tag_row(rng: &mut StdRng, id: u32, at: DateTime<Utc>) -> tag::Model {
    let name = format!("{} {id}", capitalised(word(rng)));
    tag::Model {
        id: id as i64,
        slug: crate::domain::slug::derive_slug(&name).unwrap_or_default(),
        name,
        created_at: at,
    }
}

fn article_row(
    rng: &mut StdRng,
    id: i64,
    section_id: i64,
    lead: i64,
    inline: i64,
    at: DateTime<Utc>,
) -> article::Model {
    let headline = format!(
        "{} {} {} {}",
        capitalised(word(rng)),
        capitalised(word(rng)),
        VERBS[rng.random_range(0..VERBS.len())],
        sentence(rng, 4)
    );
    let mut body = String::new();
    for part in 0..4 {
        body.push_str(&format!("## {}\n\n", capitalised(&sentence(rng, 4))));
        for _ in 0..2 {
            body.push_str(&paragraph(rng));
            body.push_str("\n\n");
        }
        if part == 1 {
            body.push_str(&format!("![{}](image:{inline})\n\n", capitalised(word(rng))));
        }
    }
    article::Model {
        id,
        slug: format!("{}-{id}", crate::domain::slug::derive_slug(&headline).unwrap_or_default()),
        headline,
        standfirst: Some(format!("{}.", capitalised(&sentence(rng, 18)))),
        body_markdown: body,
        status: ArticleStatus::Published,
        section_id,
        lead_image_id: Some(lead),
        comments_open: true,
        seo_title: None,
        seo_description: None,
        canonical_url: None,
        created_by: Some(1),
        created_at: at - Duration::hours(1),
        updated_at: at,
        published_at: Some(at),
        scheduled_at: None,
        kind: ArticleKind::News,
        kicker: None,
        dateline: None,
        embargo_until: None,
        access: Default::default(),
        teaser_blocks: None,
        coverage_ended_at: None,
    }
}

/// The comments of each article in turn: first its top-level ones, then replies to
/// approved ones among them, the earliest threads getting the most.
fn write_comments(
    out: &mut RowWriter<impl Write>,
    rng: &mut StdRng,
    shape: &Shape,
    published: &[DateTime<Utc>],
) -> Result<(), TransferError> {
    if published.is_empty() {
        return Ok(());
    }
    let total = shape.comments as usize;
    let mut per_article = vec![0usize; published.len()];
    let mut placed = 0;
    for (n, share) in HOT_SHARES.iter().enumerate().take(published.len()) {
        per_article[n] = (total as f64 * share) as usize;
        placed += per_article[n];
    }
    let spread = (published.len() / 3).max(1);
    for _ in placed..total {
        per_article[rng.random_range(0..spread)] += 1;
    }
    let mut id = 0i64;
    for (n, count) in per_article.into_iter().enumerate() {
        let article_id = n as i64 + 1;
        let top_level = ((count as f64 * (1.0 - REPLY_SHARE)).ceil() as usize).min(count);
        let mut approved_tops = Vec::new();
        let mut at = published[n];
        for _ in 0..top_level {
            id += 1;
            at += Duration::seconds(rng.random_range(5..600));
            let row = comment_row(rng, id, article_id, None, at);
            if row.status == CommentStatus::Approved {
                approved_tops.push(id);
            }
            out.row(Table::Comments, &row)?;
        }
        if approved_tops.is_empty() {
            continue;
        }
        for _ in top_level..count {
            id += 1;
            at += Duration::seconds(rng.random_range(5..600));
            // Skewed to the first threads: the square of a uniform number.
            let pick = (rng.random::<f64>().powi(2) * approved_tops.len() as f64) as usize;
            let parent = approved_tops[pick.min(approved_tops.len() - 1)];
            out.row(Table::Comments, &comment_row(rng, id, article_id, Some(parent), at))?;
        }
    }
    Ok(())
}

fn comment_row(
    rng: &mut StdRng,
    id: i64,
    article_id: i64,
    parent_id: Option<i64>,
    at: DateTime<Utc>,
) -> comment::Model {
    let status = match rng.random_range(0..100) {
        0..90 => CommentStatus::Approved,
        90..96 => CommentStatus::Pending,
        96..98 => CommentStatus::Rejected,
        _ => CommentStatus::Spam,
    };
    let n = rng.random_range(0..400);
    let words = rng.random_range(8..40);
    comment::Model {
        id,
        article_id,
        parent_id,
        user_id: None,
        author_name: person(n),
        author_email: Some(format!("reader{n}@example.org")),
        body: format!("{}.", capitalised(&sentence(rng, words))),
        status,
        client_hash: None,
        created_at: at,
        moderated_at: (status != CommentStatus::Pending).then_some(at + Duration::minutes(5)),
    }
}

fn word(rng: &mut StdRng) -> &'static str {
    WORDS[rng.random_range(0..WORDS.len())]
}

fn sentence(rng: &mut StdRng, words: usize) -> String {
    (0..words).map(|_| word(rng)).collect::<Vec<_>>().join(" ")
}

fn paragraph(rng: &mut StdRng) -> String {
    (0..4).map(|_| format!("{}.", capitalised(&sentence(rng, 15)))).collect::<Vec<_>>().join(" ")
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Shape {
        Shape { sections: 7, articles: 40, images: 30, authors: 5, tags: 6, comments: 300, seed: 7 }
    }

    fn rows(shape: &Shape) -> Vec<String> {
        let mut out = Vec::new();
        write(shape, &mut out).unwrap();
        // The header carries the time of writing; the rows do not.
        String::from_utf8(out).unwrap().lines().skip(1).map(str::to_owned).collect()
    }

    #[test]
    fn the_same_shape_and_seed_give_the_same_rows() {
        assert_eq!(rows(&small()), rows(&small()));
        assert_ne!(rows(&small()), rows(&Shape { seed: 8, ..small() }));
    }

    #[test]
    fn it_writes_what_the_shape_asks_for() {
        let mut out = Vec::new();
        let counts = write(&small(), &mut out).unwrap();
        assert_eq!(counts.get(Table::Sections), 7);
        assert_eq!(counts.get(Table::Articles), 40);
        assert_eq!(counts.get(Table::Images), 30);
        assert_eq!(counts.get(Table::Authors), 5);
        assert_eq!(counts.get(Table::Tags), 6);
        assert_eq!(counts.get(Table::Comments), 300);
    }
}
