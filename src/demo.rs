//! Demo content for `newsroom serve --demo`: a small publication with a section tree,
//! authors, tags, credited images, published, draft and scheduled articles, comments
//! in every moderation state, and a live blog with pinned and ordinary entries.
//!
//! The content is described as static data below and written by a few insert helpers.
//! Timestamps are relative to the moment of loading, so published articles are always in
//! the recent past and the scheduled one is always in the future. All names of people
//! (authors, commenters, most photographers) are fictional.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use entity::article::{AccessLevel, ArticleKind, ArticleStatus};
use entity::article_author::ContributorRole;
use entity::comment::CommentStatus;
use entity::correction::{self, CorrectionKind};
use entity::{
    article, article_author, article_revision, article_tag, author, comment, image, live_entry, live_entry_author,
    section, tag,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, Set, TransactionTrait,
};

/// Loads the demo publication when the database holds no sections and no articles yet;
/// returns whether it loaded anything. One transaction.
pub async fn load(db: &DatabaseConnection) -> Result<bool, DbErr> {
    let txn = db.begin().await?;
    let empty = section::Entity::find().count(&txn).await? == 0 && article::Entity::find().count(&txn).await? == 0;
    if !empty {
        txn.rollback().await?;
        return Ok(false);
    }

    let now = crate::domain::now();
    let refs = Refs {
        sections: insert_sections(&txn, now).await?,
        authors: insert_authors(&txn, now).await?,
        tags: insert_tags(&txn, now).await?,
        images: insert_images(&txn, now).await?,
    };
    let articles = insert_articles(&txn, now, &refs).await?;
    insert_comments(&txn, &articles).await?;
    insert_correction(&txn, &articles).await?;
    insert_live_entries(&txn, &articles, &refs.authors).await?;
    crate::domain::comments::rebuild_tallies(&txn).await?;

    txn.commit().await?;
    Ok(true)
}

// ---------------------------------------------------------------------------------------
// Shapes of the static data
// ---------------------------------------------------------------------------------------

struct SectionData {
    slug: &'static str,
    name: &'static str,
    description: &'static str,
    /// Slug of the parent section, listed earlier.
    parent: Option<&'static str>,
    position: i32,
}

struct AuthorData {
    slug: &'static str,
    name: &'static str,
    bio: &'static str,
}

struct TagData {
    slug: &'static str,
    name: &'static str,
}

/// An image stored at `https://images.example.com/demo/<key>.jpg`.
struct ImageData {
    key: &'static str,
    alt_text: &'static str,
    caption: &'static str,
    width: i32,
    height: i32,
    credit: Credit,
}

struct Credit {
    photographer: Option<&'static str>,
    agency: Option<&'static str>,
    distributor: Option<&'static str>,
    license: Option<&'static str>,
}

impl Credit {
    const EMPTY: Credit = Credit { photographer: None, agency: None, distributor: None, license: None };
}

/// Where an article stands in its life.
#[derive(Clone, Copy)]
enum Timing {
    /// Published this many hours before the demo is loaded.
    Published { hours_ago: i64 },
    /// Started yesterday, last edited a couple of hours ago.
    Draft,
    /// Ready, and due to go out two days after the demo is loaded.
    Scheduled,
}

struct Seo {
    title: &'static str,
    description: &'static str,
    canonical_url: &'static str,
}

/// An article. In `body`, `image:{key}` names a stored image by its demo key and is
/// rewritten to `image:<global id>` on insert.
struct ArticleData {
    slug: &'static str,
    headline: &'static str,
    kind: ArticleKind,
    /// The label above the headline.
    kicker: Option<&'static str>,
    dateline: Option<&'static str>,
    standfirst: &'static str,
    section: &'static str,
    /// Author slugs of the writers, in byline order.
    authors: &'static [&'static str],
    /// Contributors after the writers, with what they did.
    also: &'static [(&'static str, ContributorRole)],
    /// Who may read the whole body, and how many blocks the others see.
    paywall: Option<(AccessLevel, i32)>,
    tags: &'static [&'static str],
    lead_image: Option<&'static str>,
    timing: Timing,
    comments_open: bool,
    seo: Option<Seo>,
    body: &'static str,
}

/// A comment, `minutes` after the article was published; `reply_to` is the `key` of an
/// earlier comment on the same article.
struct CommentData {
    key: &'static str,
    article: &'static str,
    reply_to: Option<&'static str>,
    author_name: &'static str,
    author_email: Option<&'static str>,
    status: CommentStatus,
    minutes: i64,
    body: &'static str,
}

// ---------------------------------------------------------------------------------------
// The content
// ---------------------------------------------------------------------------------------

/// Parents come before their children.
const SECTIONS: &[SectionData] = &[
    SectionData {
        slug: "world",
        name: "World",
        description: "News and analysis from around the globe.",
        parent: None,
        position: 0,
    },
    SectionData {
        slug: "international-news",
        name: "International News",
        description: "Diplomacy, conflict and the relations between states.",
        parent: Some("world"),
        position: 0,
    },
    SectionData {
        slug: "europe",
        name: "Europe",
        description: "The European Union, its neighbours and the politics of the continent.",
        parent: Some("world"),
        position: 1,
    },
    SectionData {
        slug: "politics",
        name: "Politics",
        description: "Elections, parliaments and the people who run governments.",
        parent: None,
        position: 1,
    },
    SectionData {
        slug: "business",
        name: "Business",
        description: "Companies, trade and the forces shaping the economy.",
        parent: None,
        position: 2,
    },
    SectionData {
        slug: "markets",
        name: "Markets",
        description: "Shares, bonds, currencies and commodities, explained.",
        parent: Some("business"),
        position: 0,
    },
    SectionData {
        slug: "science",
        name: "Science",
        description: "Research, discoveries and the people behind them.",
        parent: None,
        position: 3,
    },
    SectionData {
        slug: "culture",
        name: "Culture",
        description: "Books, art, music, film and ideas.",
        parent: None,
        position: 4,
    },
];

const AUTHORS: &[AuthorData] = &[
    AuthorData {
        slug: "amira-haddad",
        name: "Amira Haddad",
        bio: "Diplomatic correspondent covering Russia, Central Asia and the Middle East.",
    },
    AuthorData {
        slug: "tom-whitaker",
        name: "Tom Whitaker",
        bio: "Europe editor, based in Brussels, reporting on the European Union and its neighbours.",
    },
    AuthorData {
        slug: "priya-raman",
        name: "Priya Raman",
        bio: "Science and climate reporter with a background in geophysics.",
    },
    AuthorData {
        slug: "daniel-osei",
        name: "Daniel Osei",
        bio: "Economics correspondent writing about markets, trade and central banks.",
    },
    AuthorData {
        slug: "clara-lindqvist",
        name: "Clara Lindqvist",
        bio: "Covers politics and culture, with a particular interest in elections and the arts.",
    },
    AuthorData {
        slug: "mateo-alvarez",
        name: "Mateo Alvarez",
        bio: "Staff photographer. Has no account: editors put him on the bylines of his pictures' stories.",
    },
];

const TAGS: &[TagData] = &[
    TagData { slug: "afghanistan", name: "Afghanistan" },
    TagData { slug: "russia", name: "Russia" },
    TagData { slug: "diplomacy", name: "Diplomacy" },
    TagData { slug: "climate", name: "Climate" },
    TagData { slug: "economy", name: "Economy" },
    TagData { slug: "elections", name: "Elections" },
    TagData { slug: "technology", name: "Technology" },
    TagData { slug: "arts", name: "Arts" },
];

const IMAGES: &[ImageData] = &[
    ImageData {
        key: "kabul-celebration",
        alt_text: "A crowd waving white flags fills a street in Kabul",
        caption: "Taliban supporters celebrate in Kabul on August 14, 2024, the third \
                  anniversary of the movement's return to power.",
        width: 1600,
        height: 1067,
        credit: Credit {
            photographer: Some("Wakil Kohsar"),
            agency: Some("AFP"),
            distributor: Some("Getty Images"),
            ..Credit::EMPTY
        },
    },
    ImageData {
        key: "kabul-old-city",
        alt_text: "Rooftops of Kabul's old city seen from a hillside at dusk",
        caption: "Kabul's old city. Moscow sees Afghanistan as a trade corridor to South Asia.",
        width: 1600,
        height: 1067,
        credit: Credit { agency: Some("AFP"), distributor: Some("Getty Images"), ..Credit::EMPTY },
    },
    ImageData {
        key: "night-train",
        alt_text: "A sleeper train waits at a station platform under evening lights",
        caption: "An overnight service prepares to leave for the coast.",
        width: 2048,
        height: 1365,
        credit: Credit { photographer: Some("Joris van Dijk"), agency: Some("Meridian Press Photo"), ..Credit::EMPTY },
    },
    ImageData {
        key: "danube-barges",
        alt_text: "Barges moored beside exposed sandbanks on a wide river",
        caption: "Barges wait for the water to rise on a shallow stretch of the Danube.",
        width: 1600,
        height: 900,
        credit: Credit { photographer: Some("Mateo Alvarez"), agency: Some("Meridian Press Photo"), ..Credit::EMPTY },
    },
    ImageData {
        key: "polling-station",
        alt_text: "Young voters queue outside a school used as a polling station",
        caption: "First-time voters queue outside a polling station.",
        width: 1200,
        height: 800,
        credit: Credit { photographer: Some("Sofia Brandner"), ..Credit::EMPTY },
    },
    ImageData {
        key: "container-port",
        alt_text: "Stacks of shipping containers and cranes at a busy port",
        caption: "Containers stacked at a port terminal awaiting onward transport.",
        width: 2048,
        height: 1365,
        credit: Credit { photographer: Some("Henrik Aalto"), distributor: Some("Getty Images"), ..Credit::EMPTY },
    },
    ImageData {
        key: "trading-floor",
        alt_text: "Screens showing price charts above rows of trading desks",
        caption: "Bond prices on screens at a trading desk.",
        width: 1600,
        height: 1067,
        credit: Credit { license: Some("CC0 1.0"), ..Credit::EMPTY },
    },
    ImageData {
        key: "ice-core",
        alt_text: "A scientist in gloves holds a cylinder of clear ice to the light",
        caption: "A section of an Antarctic ice core, with trapped air bubbles visible.",
        width: 1200,
        height: 1600,
        credit: Credit { photographer: Some("Tomás Ferreira"), license: Some("CC BY 4.0"), ..Credit::EMPTY },
    },
    ImageData {
        key: "quantum-lab",
        alt_text: "A gold-coloured cryostat hangs from the ceiling of a laboratory",
        caption: "The cooling system of a superconducting quantum processor.",
        width: 1600,
        height: 1067,
        credit: Credit { photographer: Some("Ines Moreau"), agency: Some("Meridian Press Photo"), ..Credit::EMPTY },
    },
    ImageData {
        key: "bookshop-window",
        alt_text: "Books displayed in the window of a small shop on a cobbled street",
        caption: "An independent bookshop with handwritten recommendations in the window.",
        width: 1200,
        height: 800,
        credit: Credit::EMPTY,
    },
];

const SEED_ARTICLE: &str = "russia-moves-to-drop-taliban-from-banned-list-as-moscow-courts-kabul";

const ARTICLES: &[ArticleData] = &[
    ArticleData {
        slug: SEED_ARTICLE,
        headline: "Russia Moves to Drop Taliban from Banned List as Moscow Courts Kabul",
        kind: ArticleKind::News,
        kicker: None,
        dateline: Some("MOSCOW"),
        standfirst: "Moscow is preparing to remove Afghanistan's rulers from its register of \
                     outlawed terrorist groups, a step that would clear the way for open trade \
                     and political contacts. The shift mirrors a wider effort across Central \
                     Asia to treat the Taliban as a fact of regional life rather than a pariah.",
        section: "international-news",
        authors: &["amira-haddad", "tom-whitaker"],
        also: &[],
        paywall: None,
        tags: &["afghanistan", "russia", "diplomacy"],
        lead_image: Some("kabul-celebration"),
        timing: Timing::Published { hours_ago: 30 },
        comments_open: true,
        seo: None,
        body: r#"Russia has begun the legal steps needed to take the Taliban off its list of banned terrorist organisations, a move that would end a designation in force for more than two decades and give Moscow room to deepen its dealings with the government in Kabul.

The Taliban were outlawed by a Russian court in 2003, when the movement was fighting a US-led coalition after being driven from power. Since its return to Kabul in August 2021, however, Russian officials have met its representatives regularly, describing the contacts as a practical necessity for a country with close ties to Central Asia.

## Why now

Officials in Moscow have framed the change as a recognition of reality. The Taliban control the whole of Afghanistan, they argue, and no serious policy on drug trafficking, migration or the threat from the regional branch of the Islamic State group can be built without talking to them.

A recently amended law allows the country's Supreme Court to suspend a terrorist designation at the request of the prosecutor general. Once such a ruling takes effect, Russian companies and officials would no longer risk prosecution for dealing openly with the movement.

![Rooftops of Kabul's old city seen from a hillside at dusk](image:{kabul-old-city} "Kabul's old city. Moscow sees Afghanistan as a trade corridor to South Asia.")

## What Moscow wants

For Russia, Afghanistan is less a prize than a corridor. Planners in Moscow have spoken of several ambitions:

- Trade routes running south through Central Asia towards Pakistan and the Arabian Sea.
- Sales of fuel, wheat and other goods to a country short of both energy and food.
- Security cooperation against militant groups that have carried out attacks inside Russia.

None of these aims is new, but each has been held back by the legal ban. Delegations from Kabul have already attended economic forums in Russia, where the designation was set aside for the occasion.

## A regional pattern

Russia is not acting alone. Kazakhstan removed the Taliban from its own list of banned organisations at the end of 2023, and Kyrgyzstan followed in 2024. China and the United Arab Emirates have accepted ambassadors appointed by the Taliban, although neither has granted the movement full diplomatic recognition.

> Delisting is not the same as recognition, and Moscow knows it. It buys flexibility without committing to anything that would be hard to undo.

That is how Marta Kowalczyk, a researcher who studies Central Asian security at a European policy institute, summed up the calculation in Moscow.

## The questions that remain

Human rights groups warn that closer ties risk rewarding a government that has barred girls from secondary school and women from most work with aid agencies, restrictions documented in detail by the [United Nations mission in Afghanistan](https://unama.unmissions.org/). Western governments, which still withhold recognition, are watching for any conditions Moscow attaches. So far it has named none.

For ordinary Afghans, the practical effect may be modest at first. Sanctions imposed by the UN Security Council on individual Taliban leaders remain in place, and international banks are still wary of transactions with the country. The change is, *for now*, more symbolic than commercial.

## What comes next

Russian officials expect the delisting to be followed by agreements on trade, transport and energy. Whether Moscow then goes further and formally recognises the Taliban government is the question diplomats across the region will be asking next."#,
    },
    ArticleData {
        slug: "night-trains-return-to-the-european-rail-map",
        headline: "Night Trains Return to the European Rail Map",
        kind: ArticleKind::Feature,
        kicker: Some("Travel"),
        dateline: None,
        standfirst: "Sleeper services written off a decade ago are back on timetables across \
                     the continent. Operators are betting that travellers will trade a short \
                     flight for a bed and a city-centre arrival.",
        section: "europe",
        authors: &["tom-whitaker"],
        also: &[],
        paywall: None,
        tags: &["climate", "economy"],
        lead_image: Some("night-train"),
        timing: Timing::Published { hours_ago: 480 },
        comments_open: true,
        seo: None,
        body: "Sleeper services, abandoned by many rail companies a decade ago, are back on \
timetables across the continent. Operators are adding routes between capitals that had not \
seen an overnight train in years.

## Who is running them

Austria's state railway, ÖBB, has led the revival with its Nightjet brand, which it kept \
running when other operators retreated from the market. Smaller companies have followed \
with services linking the Netherlands, Belgium, Germany and Scandinavia.

## The obstacles

The economics remain difficult. Sleeper carriages are expensive to build and carry fewer \
passengers than day coaches. Track access charges differ from country to country, and a \
single late-running train can disrupt several national timetables before dawn.

Passenger groups say demand is not the problem: popular routes sell out weeks ahead in \
summer. The question is whether governments will treat night trains as part of their \
climate plans, with support for new rolling stock and simpler cross-border ticketing, or \
leave operators to carry the risk alone.",
    },
    ArticleData {
        slug: "low-water-on-the-danube-leaves-barges-half-empty",
        headline: "Low Water on the Danube Leaves Barges Half Empty",
        kind: ArticleKind::News,
        kicker: None,
        dateline: Some("VIENNA"),
        standfirst: "A dry spell has left stretches of the river too shallow for fully laden \
                     ships. Freight costs for grain, fertiliser and steel are rising as a result.",
        section: "europe",
        authors: &["tom-whitaker", "priya-raman"],
        also: &[("mateo-alvarez", ContributorRole::Photographer)],
        paywall: None,
        tags: &["climate", "economy"],
        lead_image: Some("danube-barges"),
        timing: Timing::Published { hours_ago: 110 },
        comments_open: true,
        seo: None,
        body: "Barge operators on the Danube are loading their vessels to less than half of \
capacity as a dry spell leaves parts of the river too shallow for fully laden ships.

## A recurring problem

Low water has become a familiar feature of late summer on Europe's great rivers. When \
levels fall, cargo that would normally travel by barge must be split across more vessels \
or moved to rail and road, both of which cost more per tonne.

Shallow stretches between Austria and the Black Sea are the main bottlenecks. Skippers \
reduce their draught to avoid running aground, and some services stop altogether until \
rain arrives upstream.

## Who pays

Higher freight rates are passed along the supply chain. Farmers in the lower Danube basin \
who rely on the river to reach export terminals are among the most exposed, while \
manufacturers upstream have begun to hold larger stocks of raw materials.

Governments along the river have discussed dredging and better forecasting, but \
environmental groups warn that deepening the channel could damage wetlands that already \
struggle in dry years.",
    },
    ArticleData {
        slug: "pacific-island-states-press-for-faster-access-to-climate-finance",
        headline: "Pacific Island States Press for Faster Access to Climate Finance",
        kind: ArticleKind::News,
        kicker: None,
        dateline: Some("SUVA"),
        standfirst: "Leaders say money pledged to help them adapt to rising seas arrives too \
                     slowly and in amounts too small to matter.",
        section: "international-news",
        authors: &["amira-haddad"],
        also: &[],
        paywall: None,
        tags: &["climate", "diplomacy"],
        lead_image: None,
        timing: Timing::Published { hours_ago: 260 },
        comments_open: true,
        seo: None,
        body: "Leaders of Pacific island states are pressing wealthy countries and development \
banks to simplify the way climate finance is handed out, arguing that the current system \
was designed for much larger economies.

## The complaint

Small administrations with a few dozen civil servants say they are asked to complete the \
same lengthy applications as large countries. Projects to raise sea walls, protect water \
supplies or move schools to higher ground can wait years for approval.

## What they want

Officials from the region have called for:

- direct budget support instead of project-by-project grants;
- a single application process shared by the main funds;
- more money for adaptation, which attracts less private investment than renewable energy.

Donors say safeguards exist to make sure funds are well spent. Several have acknowledged, \
however, that the rules were not written with countries of a few tens of thousands of \
people in mind, and have promised to test faster procedures.",
    },
    ArticleData {
        slug: "what-happens-when-the-voting-age-drops-to-16",
        headline: "What Happens When the Voting Age Drops to 16",
        kind: ArticleKind::Analysis,
        kicker: None,
        dateline: None,
        standfirst: "A growing number of countries are debating whether to let 16- and \
                     17-year-olds vote. Those that have already made the change offer some \
                     evidence.",
        section: "politics",
        authors: &["clara-lindqvist"],
        also: &[],
        paywall: None,
        tags: &["elections"],
        lead_image: Some("polling-station"),
        timing: Timing::Published { hours_ago: 55 },
        comments_open: true,
        seo: None,
        body: "Supporters of a lower voting age say it builds the habit of voting early; \
opponents argue that teenagers are too easily swayed. The countries that have tried it \
suggest the truth is less dramatic than either side claims.

## The early movers

Austria lowered its voting age to 16 for national elections in 2007, the first country in \
the European Union to do so. Scotland followed for elections to its own parliament and \
local councils in 2015. Malta and Belgium have since extended the vote to 16-year-olds in \
some elections.

## What researchers found

Studies of Austrian elections suggest that the youngest voters are no less interested in \
politics than slightly older first-time voters, and that turnout among 16- and \
17-year-olds is often higher than among those aged 18 to 20, many of whom have just left \
home or school.

## The open questions

Whether voting early creates lifelong voters is harder to show, because it takes decades \
to follow a generation. Much also depends on civic education in schools, which varies \
widely from one system to the next.",
    },
    ArticleData {
        slug: "why-shipping-costs-still-shape-the-price-of-your-groceries",
        headline: "Why Shipping Costs Still Shape the Price of Your Groceries",
        kind: ArticleKind::Analysis,
        kicker: None,
        dateline: None,
        standfirst: "Freight is a small share of what a supermarket charges. When it jumps, \
                     shoppers still feel it, only later.",
        section: "business",
        authors: &["daniel-osei"],
        also: &[],
        paywall: None,
        tags: &["economy"],
        lead_image: Some("container-port"),
        timing: Timing::Published { hours_ago: 80 },
        comments_open: true,
        seo: None,
        body: "The cost of moving a container across an ocean is a small part of the price of \
most goods on a supermarket shelf. Yet when freight rates jump, as they did during the \
pandemic and again when ships were rerouted away from the Red Sea, shoppers eventually \
notice.

## How the cost travels

A single container can hold tens of thousands of tins or packets, so even a sharp rise in \
freight spreads thinly over each item. The effect is larger for bulky, low-value goods \
such as furniture, fruit and household staples, where transport makes up more of the \
final price.

Importers usually buy freight under contracts that run for months, which is why changes \
reach shops with a delay of anything from a quarter to a year.

## What to watch

Economists follow indices of spot container rates and the length of shipping routes. \
Longer voyages tie up more ships, tightening capacity even when demand is steady. When \
rates fall back, retailers tend to pass on the savings more slowly than the increases.",
    },
    ArticleData {
        slug: "bond-yields-explained-what-moves-the-cost-of-government-borrowing",
        headline: "Bond Yields Explained: What Moves the Cost of Government Borrowing",
        kind: ArticleKind::Feature,
        kicker: Some("Explainer"),
        dateline: None,
        standfirst: "The yield on government debt is one of the most closely watched numbers \
                     in finance. Here is what it measures and why it matters to households.",
        section: "markets",
        authors: &["daniel-osei"],
        also: &[],
        paywall: Some((AccessLevel::Subscriber, 2)),
        tags: &["economy"],
        lead_image: Some("trading-floor"),
        timing: Timing::Published { hours_ago: 200 },
        comments_open: false,
        seo: Some(Seo {
            title: "Bond yields explained: what moves government borrowing costs",
            description: "A plain-English guide to government bond yields: why prices and \
                          yields move in opposite directions, and how they reach mortgages.",
            canonical_url: "https://newsroom.example.com/business/markets/bond-yields-explained",
        }),
        body: "When a government borrows, it sells bonds that promise fixed payments over a \
number of years. The yield is the return an investor earns by buying one of those bonds at \
today's price.

## Price and yield move in opposite directions

A bond's payments are fixed when it is issued. If investors are keen to buy it, its price \
rises and the return on those fixed payments, measured against the higher price, falls. \
When investors sell, the price drops and the yield rises.

## What pushes yields up or down

- **Interest rates**: expectations for central bank policy are the biggest single influence.
- **Inflation**: investors demand more when they expect rising prices to erode their payments.
- **Risk**: doubts about a government's finances raise the premium lenders ask for.

## Why it matters outside the markets

Government bond yields set a floor for many other borrowing costs, from company loans to \
fixed-rate mortgages. A sustained rise usually reaches households within months.",
    },
    ArticleData {
        slug: "how-antarctic-ice-cores-record-the-climate-of-the-deep-past",
        headline: "How Antarctic Ice Cores Record the Climate of the Deep Past",
        kind: ArticleKind::Feature,
        kicker: None,
        dateline: None,
        standfirst: "Air trapped in ancient ice lets scientists measure the atmosphere of \
                     hundreds of thousands of years ago. The search is now on for even older \
                     ice.",
        section: "science",
        authors: &["priya-raman"],
        also: &[],
        paywall: None,
        tags: &["climate"],
        lead_image: Some("ice-core"),
        timing: Timing::Published { hours_ago: 150 },
        comments_open: true,
        seo: None,
        body: "Deep beneath the Antarctic plateau lies an archive of the Earth's atmosphere. \
Snow that fell hundreds of thousands of years ago has been compressed into ice, sealing \
tiny bubbles of air as it formed.

## Reading the layers

Each bubble is a sample of the air at the time it was sealed. By measuring the carbon \
dioxide and methane inside, researchers can reconstruct how greenhouse gases rose and fell \
through successive ice ages. The ratio of heavy to light forms of hydrogen and oxygen in \
the ice itself reveals the temperature at which the snow formed.

The European EPICA project drilled a core at Dome C that reaches back around 800,000 \
years. Across that whole span, carbon dioxide never came close to the levels measured in \
the atmosphere today.

## The search for older ice

Teams are now drilling at sites where they hope to recover ice more than a million years \
old. It could help explain a puzzling change in the rhythm of ice ages about a million \
years ago, when the cycles grew longer and more severe.",
    },
    ArticleData {
        slug: "quantum-computers-are-getting-bigger-are-they-getting-useful",
        headline: "Quantum Computers Are Getting Bigger. Are They Getting Useful?",
        kind: ArticleKind::Analysis,
        kicker: None,
        dateline: None,
        standfirst: "Each new processor arrives with a larger qubit count than the last. \
                     Researchers caution that the headline number says little about what a \
                     machine can actually do.",
        section: "science",
        authors: &["priya-raman", "daniel-osei"],
        also: &[],
        paywall: None,
        tags: &["technology"],
        lead_image: Some("quantum-lab"),
        timing: Timing::Published { hours_ago: 8 },
        comments_open: true,
        seo: None,
        body: "The number of qubits in the largest quantum processors has climbed steadily. \
The figure makes for good announcements, but it is a poor guide to progress.

## Why qubit counts mislead

Qubits are fragile. Heat, vibration and stray electromagnetic fields cause errors that \
pile up as a calculation runs. A processor with many noisy qubits can be less capable than \
a smaller one whose qubits hold their state for longer.

The field's central goal is error correction: combining many physical qubits into a \
single, more reliable logical qubit. Recent experiments have shown that adding physical \
qubits can lower the error rate of a logical one, a threshold researchers pursued for \
decades.

## What would count as useful

The first practical applications are expected in chemistry and materials science, where \
simulating molecules overwhelms ordinary computers. Breaking today's encryption would need \
machines far larger than any yet built, but standards bodies have already published new \
algorithms designed to resist them.",
    },
    ArticleData {
        slug: "the-quiet-return-of-the-neighbourhood-bookshop",
        headline: "The Quiet Return of the Neighbourhood Bookshop",
        kind: ArticleKind::Opinion,
        kicker: Some("Comment"),
        dateline: None,
        standfirst: "The independent bookshop was long treated as a casualty of online \
                     retail. Many have survived by becoming something a website cannot be.",
        section: "culture",
        authors: &["clara-lindqvist"],
        also: &[],
        paywall: None,
        tags: &["arts", "economy"],
        lead_image: Some("bookshop-window"),
        timing: Timing::Published { hours_ago: 330 },
        comments_open: true,
        seo: None,
        body: "For years the independent bookshop was written off. In many towns and cities \
the story has turned out differently.

## More than a shop

Booksellers describe their business as a mix of retail and meeting place. Readings, book \
clubs, children's story hours and author events bring in customers who then stay to \
browse. Carefully chosen shelves, with handwritten recommendations, offer the kind of \
discovery that recommendation engines struggle to reproduce.

## The numbers behind the mood

Trade associations in several countries, including the United Kingdom and the United \
States, have reported rising membership among independent shops over the past decade, \
after years of decline. Margins remain thin, and high-street rents are the reason owners \
most often give for closing.

## What helps

Owners point to simple measures: relief on business rates, local literary festivals and \
publishers willing to offer small shops terms closer to those given to large chains. Most \
say that loyal customers matter more than anything else.",
    },
    ArticleData {
        slug: "how-a-coalition-government-is-formed",
        headline: "How a Coalition Government Is Formed",
        kind: ArticleKind::Feature,
        kicker: Some("Explainer"),
        dateline: None,
        standfirst: "When no party wins a majority, the count is only the beginning. A guide \
                     to the negotiations that follow.",
        section: "politics",
        authors: &["clara-lindqvist"],
        also: &[],
        paywall: None,
        tags: &["elections"],
        lead_image: None,
        timing: Timing::Draft,
        comments_open: true,
        seo: None,
        body: "In many parliamentary systems, no single party wins a majority of seats on its \
own. What follows the count is a period of negotiation that can last days, weeks or, in \
some cases, months.

## The first move

By convention, the largest party usually has the first chance to form a government. Its \
leader opens talks with potential partners, looking for enough seats to win a vote of \
confidence.

## The coalition agreement

Parties that agree to govern together typically write down what they will do. These \
documents range from a few pages of principles to detailed programmes covering budgets, \
legislation and the division of ministries.

## When talks fail

If no combination reaches a majority, a minority government may rule with support from \
outside the cabinet, or voters may be asked to return to the polls.",
    },
    ArticleData {
        slug: "week-ahead-central-bank-decisions-and-inflation-data-in-focus",
        headline: "Week Ahead: Central Bank Decisions and Inflation Data in Focus",
        kind: ArticleKind::News,
        kicker: Some("Week ahead"),
        dateline: None,
        standfirst: "Interest-rate decisions and fresh price figures will shape expectations \
                     for borrowing costs in the months ahead.",
        section: "markets",
        authors: &["daniel-osei"],
        also: &[],
        paywall: None,
        tags: &["economy"],
        lead_image: None,
        timing: Timing::Scheduled,
        comments_open: true,
        seo: None,
        body: "Investors enter the week with attention fixed on interest-rate decisions and \
new inflation figures.

## Central banks

Policymakers have signalled that they want further evidence that price growth is slowing \
before changing course. Markets will study the statements that accompany each decision for \
hints about the timing of the next move.

## Data to watch

- Consumer prices, which show whether inflation in services is easing.
- Retail sales, a guide to how households are coping with higher prices.
- Purchasing managers' surveys, an early read on business activity.

## What it means for markets

A surprise in either direction could move government bond yields and currencies sharply, \
because investors have positioned cautiously ahead of the releases.",
    },
    ArticleData {
        slug: LIVE_BLOG_ARTICLE,
        headline: "EU Leaders Meet in Brussels on Energy Prices: Live",
        kind: ArticleKind::Live,
        kicker: Some("Live"),
        dateline: Some("BRUSSELS"),
        standfirst: "Heads of government gather for a two-day summit on winter energy bills, \
                     joint gas purchases and help for heavy industry. Follow the arrivals, \
                     the negotiations and the closing press conference as they happen.",
        section: "europe",
        authors: &["tom-whitaker", "clara-lindqvist"],
        also: &[("mateo-alvarez", ContributorRole::Photographer)],
        paywall: None,
        tags: &["economy", "climate"],
        lead_image: None,
        timing: Timing::Published { hours_ago: 3 },
        comments_open: true,
        seo: None,
        body: r#"Leaders of the European Union's member states meet in Brussels today and tomorrow to agree how to keep energy affordable through the coming winter. On the table are joint purchases of gas, a cap on the price of gas used to generate electricity and a fund to help energy-hungry industries.

Our Europe team is at the summit. The newest updates are at the top; the key points stay pinned above them."#,
    },
];

const ICE_CORES_ARTICLE: &str = "how-antarctic-ice-cores-record-the-climate-of-the-deep-past";

/// The demo's live blog, and its entries.
const LIVE_BLOG_ARTICLE: &str = "eu-leaders-meet-in-brussels-on-energy-prices-live";

/// An entry of the demo's live blog, `minutes` after the blog was published.
struct LiveEntryData {
    minutes: i64,
    pinned: bool,
    headline: Option<&'static str>,
    /// Author slugs, in order.
    authors: &'static [&'static str],
    body: &'static str,
}

const LIVE_ENTRIES: &[LiveEntryData] = &[
    LiveEntryData {
        minutes: 5,
        pinned: true,
        headline: Some("What is on the table"),
        authors: &["tom-whitaker"],
        body: "Three proposals dominate the summit:\n\n\
               - **Joint gas purchases**, extended from a voluntary scheme to a standing one.\n\
               - **A price cap** on gas burned in power stations, which sets the price of electricity.\n\
               - **An industry fund** for steel, chemicals and glass makers hit by high bills.",
    },
    LiveEntryData {
        minutes: 12,
        pinned: false,
        headline: Some("Leaders arrive"),
        authors: &["clara-lindqvist"],
        body: "The first heads of government are arriving at the Europa building. Several stopped \
               to speak to reporters on the red carpet; most said they expected a long night.",
    },
    LiveEntryData {
        minutes: 40,
        pinned: false,
        headline: None,
        authors: &["tom-whitaker"],
        body: "> We will not leave this building without a deal on prices.\n\n\
               That was the summit chair on his way in. Diplomats say the price cap is the \
               hardest of the three files: northern members fear it will draw gas away from Europe.",
    },
    LiveEntryData {
        minutes: 95,
        pinned: false,
        headline: Some("Talks break for dinner"),
        authors: &["clara-lindqvist", "tom-whitaker"],
        body: "Leaders have broken for a working dinner without agreement on the cap. A draft \
               seen by our reporters keeps the joint purchases and the industry fund, with the \
               size of the fund left blank.",
    },
    LiveEntryData {
        minutes: 150,
        pinned: true,
        headline: Some("Latest: agreement on joint gas purchases"),
        authors: &["tom-whitaker"],
        body: "Leaders have agreed to make joint gas purchases permanent, officials say. Work on \
               the price cap continues overnight.",
    },
];

/// In order of time on each article.
const COMMENTS: &[CommentData] = &[
    CommentData {
        key: "farid",
        article: SEED_ARTICLE,
        reply_to: None,
        author_name: "Farid Noorzai",
        author_email: Some("reader1@example.org"),
        status: CommentStatus::Approved,
        minutes: 35,
        body: "Useful summary of the legal side. I had not realised the ban dated back to \
               2003. It shows how much the region has changed since then.",
    },
    CommentData {
        key: "helen",
        article: SEED_ARTICLE,
        reply_to: None,
        author_name: "Helen Marsh",
        author_email: None,
        status: CommentStatus::Approved,
        minutes: 70,
        body: "The article is right that delisting and recognition are different things. \
               Plenty of governments talk to Kabul without recognising it.",
    },
    CommentData {
        key: "jonas",
        article: SEED_ARTICLE,
        reply_to: Some("farid"),
        author_name: "Jonas Becker",
        author_email: Some("reader2@example.org"),
        status: CommentStatus::Approved,
        minutes: 95,
        body: "Kazakhstan and Kyrgyzstan arguably have more at stake in trade with \
               Afghanistan than Moscow does, so it makes sense that they moved first.",
    },
    CommentData {
        key: "samira",
        article: SEED_ARTICLE,
        reply_to: None,
        author_name: "Samira Qadiri",
        author_email: Some("reader3@example.org"),
        status: CommentStatus::Approved,
        minutes: 140,
        body: "I would have liked more on what this means for Afghan women. The piece \
               mentions schools and aid work, but those restrictions deserve an article \
               of their own.",
    },
    CommentData {
        key: "amira",
        article: SEED_ARTICLE,
        reply_to: Some("samira"),
        author_name: "Amira Haddad",
        author_email: None,
        status: CommentStatus::Approved,
        minutes: 185,
        body: "Thank you, Samira. We agree, and a longer piece on exactly that is in the works.",
    },
    CommentData {
        key: "peter",
        article: SEED_ARTICLE,
        reply_to: None,
        author_name: "Peter Lund",
        author_email: None,
        status: CommentStatus::Approved,
        minutes: 260,
        body: "Does anyone know whether the UN sanctions on individual leaders would still \
               stop Russian banks from processing ordinary trade payments?",
    },
    CommentData {
        key: "grace",
        article: SEED_ARTICLE,
        reply_to: Some("peter"),
        author_name: "Grace Okafor",
        author_email: Some("reader4@example.org"),
        status: CommentStatus::Approved,
        minutes: 300,
        body: "Only for dealings with the listed people, in principle. In practice most \
               banks apply the rules far more widely than they have to, which is why \
               trade stays slow.",
    },
    CommentData {
        key: "spam",
        article: SEED_ARTICLE,
        reply_to: None,
        author_name: "Best Crypto Deals",
        author_email: Some("offers@deals.example.net"),
        status: CommentStatus::Spam,
        minutes: 340,
        body: "Earn 500% returns in one week!!! Visit deals.example.net now for exclusive \
               offers.",
    },
    CommentData {
        key: "lucia",
        article: SEED_ARTICLE,
        reply_to: Some("helen"),
        author_name: "Lucia Ferraro",
        author_email: None,
        status: CommentStatus::Approved,
        minutes: 420,
        body: "True, but removing the terrorist label is a step most of those governments \
               have not taken.",
    },
    CommentData {
        key: "omar",
        article: SEED_ARTICLE,
        reply_to: None,
        author_name: "Omar Siddiqui",
        author_email: Some("reader5@example.org"),
        status: CommentStatus::Pending,
        minutes: 1200,
        body: "Will this make any difference for Afghan students hoping to study in Russia?",
    },
    CommentData {
        key: "anonymous",
        article: SEED_ARTICLE,
        reply_to: Some("peter"),
        author_name: "A reader in Tashkent",
        author_email: None,
        status: CommentStatus::Pending,
        minutes: 1380,
        body: "Banks will wait for their lawyers, as always. I expect little to change for \
               at least a year.",
    },
    CommentData {
        key: "ruth",
        article: ICE_CORES_ARTICLE,
        reply_to: None,
        author_name: "Ruth Abernethy",
        author_email: Some("reader6@example.org"),
        status: CommentStatus::Approved,
        minutes: 90,
        body: "Fascinating. I had no idea the air bubbles themselves were the sample.",
    },
    CommentData {
        key: "mateo",
        article: ICE_CORES_ARTICLE,
        reply_to: None,
        author_name: "Mateo Alvarez",
        author_email: None,
        status: CommentStatus::Approved,
        minutes: 240,
        body: "Good to see the older-ice projects mentioned. I hope you follow up when \
               their results are published.",
    },
];

// ---------------------------------------------------------------------------------------
// Inserting
// ---------------------------------------------------------------------------------------

/// When the demo's fixed rows (sections, people, tags, images) were "created".
const SETUP_AGE: TimeDelta = TimeDelta::days(30);
/// How long before publication a published article was started.
const WRITING_TIME: TimeDelta = TimeDelta::hours(4);
/// How long after a comment was written a moderator dealt with it.
const MODERATION_DELAY: TimeDelta = TimeDelta::minutes(15);

/// Database ids of inserted rows by their demo key (slug).
struct Ids {
    kind: &'static str,
    ids: HashMap<&'static str, i64>,
}

impl Ids {
    fn new(kind: &'static str) -> Self {
        Ids { kind, ids: HashMap::new() }
    }

    fn add(&mut self, key: &'static str, id: i64) {
        self.ids.insert(key, id);
    }

    fn get(&self, key: &str) -> Result<i64, DbErr> {
        self.ids
            .get(key)
            .copied()
            .ok_or_else(|| DbErr::Custom(format!("demo data names an unknown {} `{key}`", self.kind)))
    }
}

struct Refs {
    sections: Ids,
    authors: Ids,
    tags: Ids,
    images: Ids,
}

/// An inserted article, as comments need it.
struct Inserted {
    id: i64,
    published_at: Option<DateTime<Utc>>,
}

async fn insert_sections(txn: &DatabaseTransaction, now: DateTime<Utc>) -> Result<Ids, DbErr> {
    let mut ids = Ids::new("section");
    for data in SECTIONS {
        let parent_id = data.parent.map(|slug| ids.get(slug)).transpose()?;
        let model = section::ActiveModel {
            slug: Set(data.slug.to_owned()),
            name: Set(data.name.to_owned()),
            description: Set(Some(data.description.to_owned())),
            parent_id: Set(parent_id),
            position: Set(data.position),
            created_at: Set(now - SETUP_AGE),
            updated_at: Set(now - SETUP_AGE),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        ids.add(data.slug, model.id);
    }
    Ok(ids)
}

async fn insert_authors(txn: &DatabaseTransaction, now: DateTime<Utc>) -> Result<Ids, DbErr> {
    let mut ids = Ids::new("author");
    for data in AUTHORS {
        let model = author::ActiveModel {
            slug: Set(data.slug.to_owned()),
            name: Set(data.name.to_owned()),
            bio: Set(Some(data.bio.to_owned())),
            user_id: Set(None),
            created_at: Set(now - SETUP_AGE),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        ids.add(data.slug, model.id);
    }
    Ok(ids)
}

async fn insert_tags(txn: &DatabaseTransaction, now: DateTime<Utc>) -> Result<Ids, DbErr> {
    let mut ids = Ids::new("tag");
    for data in TAGS {
        let model = tag::ActiveModel {
            slug: Set(data.slug.to_owned()),
            name: Set(data.name.to_owned()),
            created_at: Set(now - SETUP_AGE),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        ids.add(data.slug, model.id);
    }
    Ok(ids)
}

async fn insert_images(txn: &DatabaseTransaction, now: DateTime<Utc>) -> Result<Ids, DbErr> {
    let owned = |text: Option<&str>| text.map(str::to_owned);
    let mut ids = Ids::new("image");
    for data in IMAGES {
        let model = image::ActiveModel {
            url: Set(format!("https://images.example.com/demo/{}.jpg", data.key)),
            alt_text: Set(data.alt_text.to_owned()),
            caption: Set(Some(data.caption.to_owned())),
            width: Set(Some(data.width)),
            height: Set(Some(data.height)),
            photographer: Set(owned(data.credit.photographer)),
            agency: Set(owned(data.credit.agency)),
            distributor: Set(owned(data.credit.distributor)),
            license: Set(owned(data.credit.license)),
            created_at: Set(now - SETUP_AGE),
            updated_at: Set(now - SETUP_AGE),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        ids.add(data.key, model.id);
    }
    Ok(ids)
}

/// Status and timestamps of an article with the given timing.
struct Dates {
    status: ArticleStatus,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    published_at: Option<DateTime<Utc>>,
    scheduled_at: Option<DateTime<Utc>>,
}

impl Dates {
    fn new(timing: Timing, now: DateTime<Utc>) -> Dates {
        match timing {
            Timing::Published { hours_ago } => {
                let published_at = now - TimeDelta::hours(hours_ago);
                Dates {
                    status: ArticleStatus::Published,
                    created_at: published_at - WRITING_TIME,
                    updated_at: published_at,
                    published_at: Some(published_at),
                    scheduled_at: None,
                }
            }
            Timing::Draft => Dates {
                status: ArticleStatus::Draft,
                created_at: now - TimeDelta::hours(20),
                updated_at: now - TimeDelta::hours(2),
                published_at: None,
                scheduled_at: None,
            },
            Timing::Scheduled => Dates {
                status: ArticleStatus::Scheduled,
                created_at: now - TimeDelta::hours(26),
                updated_at: now - TimeDelta::hours(5),
                published_at: None,
                scheduled_at: Some(now + TimeDelta::days(2)),
            },
        }
    }
}

async fn insert_articles(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    refs: &Refs,
) -> Result<HashMap<&'static str, Inserted>, DbErr> {
    let mut inserted = HashMap::new();
    for data in ARTICLES {
        let dates = Dates::new(data.timing, now);
        let body = resolve_image_refs(data.body, &refs.images)?;
        let lead_image_id = data.lead_image.map(|key| refs.images.get(key)).transpose()?;
        let model = article::ActiveModel {
            slug: Set(data.slug.to_owned()),
            headline: Set(data.headline.to_owned()),
            standfirst: Set(Some(data.standfirst.to_owned())),
            body_markdown: Set(body),
            status: Set(dates.status),
            section_id: Set(refs.sections.get(data.section)?),
            lead_image_id: Set(lead_image_id),
            comments_open: Set(data.comments_open),
            seo_title: Set(data.seo.as_ref().map(|seo| seo.title.to_owned())),
            seo_description: Set(data.seo.as_ref().map(|seo| seo.description.to_owned())),
            canonical_url: Set(data.seo.as_ref().map(|seo| seo.canonical_url.to_owned())),
            created_by: Set(None),
            created_at: Set(dates.created_at),
            updated_at: Set(dates.updated_at),
            published_at: Set(dates.published_at),
            scheduled_at: Set(dates.scheduled_at),
            kind: Set(data.kind),
            kicker: Set(data.kicker.map(str::to_owned)),
            dateline: Set(data.dateline.map(str::to_owned)),
            access: Set(data.paywall.map_or(AccessLevel::Free, |(access, _)| access)),
            teaser_blocks: Set(data.paywall.map(|(_, blocks)| blocks)),
            ..Default::default()
        }
        .insert(txn)
        .await?;

        article_revision::ActiveModel {
            article_id: Set(model.id),
            number: Set(1),
            headline: Set(model.headline.clone()),
            standfirst: Set(model.standfirst.clone()),
            body_markdown: Set(model.body_markdown.clone()),
            editor_id: Set(None),
            created_at: Set(model.updated_at),
            ..Default::default()
        }
        .insert(txn)
        .await?;

        let writers = data.authors.iter().map(|slug| (*slug, ContributorRole::Writer));
        for (position, (slug, role)) in (0..).zip(writers.chain(data.also.iter().copied())) {
            article_author::ActiveModel {
                article_id: Set(model.id),
                author_id: Set(refs.authors.get(slug)?),
                position: Set(position),
                role: Set(role),
            }
            .insert(txn)
            .await?;
        }
        for slug in data.tags {
            article_tag::ActiveModel { article_id: Set(model.id), tag_id: Set(refs.tags.get(slug)?) }
                .insert(txn)
                .await?;
        }

        inserted.insert(data.slug, Inserted { id: model.id, published_at: model.published_at });
    }
    Ok(inserted)
}

/// A correction on the lead story, some hours after it went out; it moves the story's
/// `updatedAt`, as `addCorrection` does.
async fn insert_correction(txn: &DatabaseTransaction, articles: &HashMap<&'static str, Inserted>) -> Result<(), DbErr> {
    let lead = articles.get(SEED_ARTICLE).ok_or_else(|| DbErr::Custom("the demo has no lead story".into()))?;
    let Some(published_at) = lead.published_at else {
        return Ok(());
    };
    let at = published_at + TimeDelta::hours(5);
    correction::ActiveModel {
        article_id: Set(lead.id),
        kind: Set(CorrectionKind::Correction),
        text: Set("An earlier version of this article gave 2004 as the year a Russian court outlawed the \
                   Taliban. The ruling was made in 2003."
            .into()),
        created_by: Set(None),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    article::Entity::update_many()
        .col_expr(article::Column::UpdatedAt, sea_orm::sea_query::Expr::value(at))
        .filter(article::Column::Id.eq(lead.id))
        .exec(txn)
        .await?;
    Ok(())
}

async fn insert_comments(txn: &DatabaseTransaction, articles: &HashMap<&'static str, Inserted>) -> Result<(), DbErr> {
    let mut ids = Ids::new("comment");
    for data in COMMENTS {
        let article = articles
            .get(data.article)
            .ok_or_else(|| DbErr::Custom(format!("demo comment `{}` names an unknown article", data.key)))?;
        let published_at = article
            .published_at
            .ok_or_else(|| DbErr::Custom(format!("demo comment `{}` is on an unpublished article", data.key)))?;
        let created_at = published_at + TimeDelta::minutes(data.minutes);
        let moderated_at = (data.status != CommentStatus::Pending).then_some(created_at + MODERATION_DELAY);
        let model = comment::ActiveModel {
            article_id: Set(article.id),
            parent_id: Set(data.reply_to.map(|key| ids.get(key)).transpose()?),
            user_id: Set(None),
            author_name: Set(data.author_name.to_owned()),
            author_email: Set(data.author_email.map(str::to_owned)),
            body: Set(data.body.to_owned()),
            status: Set(data.status),
            client_hash: Set(None),
            created_at: Set(created_at),
            moderated_at: Set(moderated_at),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        ids.add(data.key, model.id);
    }
    Ok(())
}

/// The entries of the demo's live blog; the blog was last updated with its latest entry.
async fn insert_live_entries(
    txn: &DatabaseTransaction,
    articles: &HashMap<&'static str, Inserted>,
    authors: &Ids,
) -> Result<(), DbErr> {
    let blog =
        articles.get(LIVE_BLOG_ARTICLE).ok_or_else(|| DbErr::Custom("the demo's live blog is missing".into()))?;
    let published_at = blog.published_at.ok_or_else(|| DbErr::Custom("the demo's live blog is unpublished".into()))?;
    let mut latest = published_at;
    for data in LIVE_ENTRIES {
        let at = published_at + TimeDelta::minutes(data.minutes);
        latest = latest.max(at);
        let entry = live_entry::ActiveModel {
            article_id: Set(blog.id),
            headline: Set(data.headline.map(str::to_owned)),
            body_markdown: Set(data.body.to_owned()),
            pinned: Set(data.pinned),
            created_by: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
            deleted_at: Set(None),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        for (position, slug) in (0..).zip(data.authors) {
            live_entry_author::ActiveModel {
                entry_id: Set(entry.id),
                author_id: Set(authors.get(slug)?),
                position: Set(position),
            }
            .insert(txn)
            .await?;
        }
    }
    article::Entity::update_many()
        .col_expr(article::Column::UpdatedAt, Expr::value(latest))
        .filter(article::Column::Id.eq(blog.id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Rewrites each `image:{key}` in a body to `image:<global id>` of the stored image.
fn resolve_image_refs(body: &str, images: &Ids) -> Result<String, DbErr> {
    const OPEN: &str = "image:{";
    let mut resolved = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find(OPEN) {
        let after = &rest[start + OPEN.len()..];
        let end = after.find('}').ok_or_else(|| DbErr::Custom("demo body has an unclosed `image:{`".to_owned()))?;
        resolved.push_str(&rest[..start]);
        resolved.push_str("image:");
        resolved.push_str(&global_image_id(images.get(&after[..end])?));
        rest = &after[end + 1..];
    }
    resolved.push_str(rest);
    Ok(resolved)
}

/// The GraphQL global id of an image: base64url without padding of `Image:<id>`.
fn global_image_id(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("Image:{id}"))
}
