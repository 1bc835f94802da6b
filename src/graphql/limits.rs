//! The limits a GraphQL document is held to before it runs: its size in tokens, how deep
//! it nests, how many fields, aliases, root fields and directives it asks for, and (after
//! validation) its depth and complexity. Every refusal names the limit, the value found
//! and the setting that changes it.
//!
//! The counts are taken on the document as written, with each fragment counted once per
//! spread but walked only once, so a document whose fragments multiply out to millions of
//! fields is refused in time linear in its length.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use apollo_parser::{Lexer, TokenKind};
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ValidationResult, Variables};

use super::NewsroomSchema;
use super::error::{self, GRAPHQL_VALIDATION_FAILED, QUERY_TOO_COMPLEX};

/// Selection sets and fragment spreads nest at most this deep, and brackets twice as deep
/// (argument values nest inside selections). It protects the parser and the validation,
/// which recurse; `NEWSROOM_MAX_DEPTH` is the limit that matters for real queries.
pub const MAX_NESTING: usize = 32;
const MAX_BRACKETS: usize = 2 * MAX_NESTING;

/// Introspection-only queries may nest this deep: the standard introspection query of
/// GraphiQL and code generators nests 13 levels, deeper than the limit for content.
pub const INTROSPECTION_DEPTH: usize = 15;

/// Any query may nest list fields of the schema (`types`, `fields`, `possibleTypes`, ...)
/// at most this many levels, as the standard query does (`types { fields { args } }`):
/// a schema's lists multiply, so deeper nesting could ask for millions of objects.
pub const INTROSPECTION_LIST_NESTING: usize = 3;

const INTROSPECTION_LISTS: [&str; 8] =
    ["types", "fields", "args", "interfaces", "possibleTypes", "enumValues", "inputFields", "directives"];

/// Limits every request is held to.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_depth: usize,
    /// Also the most fields a query may select once its fragments are expanded.
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_root_fields: usize,
    pub max_directives: usize,
    /// Tokens of the document (names, punctuation, values; not whitespace, commas or comments).
    pub max_tokens: usize,
    /// Operations in one batched HTTP request.
    pub max_batch: usize,
    /// Whether clients may read the schema (`__schema`, `__type`) and get field suggestions.
    pub introspection: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 12,
            max_complexity: 5000,
            max_aliases: 30,
            max_root_fields: 20,
            max_directives: 50,
            max_tokens: 5_000,
            max_batch: 10,
            introspection: true,
        }
    }
}

/// Why a request is not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the query has more than {max} tokens; at most {max} are allowed (NEWSROOM_MAX_TOKENS)")]
    Tokens { max: usize },
    #[error("the query nests brackets more than {max} deep; at most {max} are allowed")]
    Brackets { max: usize },
    #[error("the query nests selections and fragments more than {max} deep; at most {max} are allowed")]
    Nesting { max: usize },
    #[error("the query selects {found} fields; at most {max} are allowed (NEWSROOM_MAX_COMPLEXITY)")]
    Fields { found: usize, max: usize },
    #[error("the query has {found} aliases; at most {max} are allowed (NEWSROOM_MAX_ALIASES)")]
    Aliases { found: usize, max: usize },
    #[error("the operation asks for {found} root fields; at most {max} are allowed (NEWSROOM_MAX_ROOT_FIELDS)")]
    RootFields { found: usize, max: usize },
    #[error("the query has {found} directives; at most {max} are allowed (NEWSROOM_MAX_DIRECTIVES)")]
    Directives { found: usize, max: usize },
    #[error(
        "the query nests schema lists (types, fields, possibleTypes, ...) {found} deep; at most {INTROSPECTION_LIST_NESTING} are allowed"
    )]
    SchemaLists { found: usize },
    #[error("the query nests {found} levels deep; at most {max} are allowed ({})", depth_setting(*introspection))]
    Depth { found: usize, max: usize, introspection: bool },
    #[error("the query's complexity is {found}; at most {max} is allowed (NEWSROOM_MAX_COMPLEXITY)")]
    Complexity { found: usize, max: usize },
    #[error("the fragment `{0}` spreads itself")]
    FragmentCycle(String),
    #[error("introspection is switched off on this server (NEWSROOM_INTROSPECTION)")]
    Introspection,
}

fn depth_setting(introspection: bool) -> &'static str {
    if introspection { "for introspection queries" } else { "NEWSROOM_MAX_DEPTH" }
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::FragmentCycle(_) | Refusal::Introspection => GRAPHQL_VALIDATION_FAILED,
            _ => QUERY_TOO_COMPLEX,
        }
    }

    pub fn into_server_error(self) -> ServerError {
        let code = self.code();
        error::request_error(self.to_string(), code)
    }

    pub fn into_response(self) -> async_graphql::Response {
        async_graphql::Response::from_errors(vec![self.into_server_error()])
    }
}

/// What one definition (operation or fragment) of a document's text selects, before its
/// fragments are expanded, and the fragments it spreads.
#[derive(Debug, Default)]
struct TextDefinition {
    fragment: Option<String>,
    fields: usize,
    aliases: usize,
    directives: usize,
    /// Fields at the top of its selection set.
    top_fields: usize,
    spreads: Vec<(String, bool)>,
}

/// Reads a document's tokens and counts, in each operation and fragment, the fields,
/// aliases, directives and root fields it selects, following fragment spreads, before
/// anything parses it (the parser takes far longer on a long document than this does).
/// Counting stops at the token limit; lexical and syntax errors are left to the parser.
/// Inline fragments at the top of an operation are not counted as root fields here, so
/// each count is at most what `check_document` finds on the parsed document.
pub fn check_text(query: &str, limits: &Limits) -> Result<(), Refusal> {
    let (definitions, brackets) = read_text(query, limits.max_tokens)?;
    if brackets > MAX_BRACKETS {
        return Err(Refusal::Brackets { max: MAX_BRACKETS });
    }
    let fragments: HashMap<&str, usize> =
        definitions.iter().enumerate().filter_map(|(i, d)| Some((d.fragment.as_deref()?, i))).collect();
    let mut expanded: Vec<Option<Option<Counts>>> = vec![None; definitions.len()];
    let mut worst = Counts::default();
    for (index, definition) in definitions.iter().enumerate() {
        let counts = expand_text(&definitions, &fragments, &mut expanded, index, 0)?;
        if definition.fragment.is_none() {
            worst.top_fields = worst.top_fields.max(counts.top_fields);
        }
        worst.fields = worst.fields.max(counts.fields);
        worst.aliases = worst.aliases.max(counts.aliases);
        worst.directives = worst.directives.max(counts.directives);
    }
    check_counts(worst.top_fields, worst.aliases, worst.directives, worst.fields, limits)
}

/// The counts of definition `index` with the fragments it spreads, each expanded once.
fn expand_text(
    definitions: &[TextDefinition],
    fragments: &HashMap<&str, usize>,
    expanded: &mut Vec<Option<Option<Counts>>>,
    index: usize,
    depth: usize,
) -> Result<Counts, Refusal> {
    match expanded[index] {
        Some(Some(counts)) => return Ok(counts),
        Some(None) => {
            let name = definitions[index].fragment.clone().unwrap_or_default();
            return Err(Refusal::FragmentCycle(name));
        }
        None => {}
    }
    // Each spread nests a level deeper, as the parsed document's nesting counts it.
    if depth > MAX_NESTING {
        return Err(Refusal::Nesting { max: MAX_NESTING });
    }
    expanded[index] = Some(None);
    let definition = &definitions[index];
    let mut counts = Counts {
        fields: definition.fields,
        aliases: definition.aliases,
        directives: definition.directives,
        top_fields: definition.top_fields,
        ..Counts::default()
    };
    for (name, at_top) in &definition.spreads {
        let Some(&spread) = fragments.get(name.as_str()) else { continue };
        let below = expand_text(definitions, fragments, expanded, spread, depth + 1)?;
        counts.add(Counts { top_fields: if *at_top { below.top_fields } else { 0 }, ..below });
    }
    expanded[index] = Some(Some(counts));
    Ok(counts)
}

fn check_counts(
    root_fields: usize,
    aliases: usize,
    directives: usize,
    fields: usize,
    limits: &Limits,
) -> Result<(), Refusal> {
    if root_fields > limits.max_root_fields {
        return Err(Refusal::RootFields { found: root_fields, max: limits.max_root_fields });
    }
    if aliases > limits.max_aliases {
        return Err(Refusal::Aliases { found: aliases, max: limits.max_aliases });
    }
    if directives > limits.max_directives {
        return Err(Refusal::Directives { found: directives, max: limits.max_directives });
    }
    if fields > limits.max_complexity {
        return Err(Refusal::Fields { found: fields, max: limits.max_complexity });
    }
    Ok(())
}

/// The definitions of a document's text, and how deep its brackets nest.
fn read_text(query: &str, max_tokens: usize) -> Result<(Vec<TextDefinition>, usize), Refusal> {
    let mut definitions = Vec::new();
    let mut current = TextDefinition::default();
    let (mut tokens, mut deepest) = (0usize, 0usize);
    let (mut braces, mut parens, mut brackets) = (0usize, 0usize, 0usize);
    // What the previous tokens make of a name: a fragment's own, a directive's, a spread
    // fragment's or a type's.
    let mut after_fragment = false;
    let mut after_at = false;
    let mut after_spread = false;
    let mut after_on = false;
    let mut last_field_at_top = false;
    for token in Lexer::new(query) {
        let Ok(token) = token else { continue };
        let kind = token.kind();
        match kind {
            TokenKind::Whitespace | TokenKind::Comment | TokenKind::Comma => continue,
            TokenKind::Eof => break,
            _ => {}
        }
        tokens += 1;
        if tokens > max_tokens {
            return Err(Refusal::Tokens { max: max_tokens });
        }
        let in_selection = braces > 0 && parens == 0;
        match kind {
            TokenKind::LCurly | TokenKind::LBracket | TokenKind::LParen => {
                brackets += 1;
                deepest = deepest.max(brackets);
                match kind {
                    TokenKind::LCurly if parens == 0 => braces += 1,
                    TokenKind::LParen => parens += 1,
                    _ => {}
                }
            }
            TokenKind::RCurly | TokenKind::RBracket | TokenKind::RParen => {
                brackets = brackets.saturating_sub(1);
                match kind {
                    TokenKind::RCurly if parens == 0 && braces > 0 => {
                        braces -= 1;
                        if braces == 0 {
                            definitions.push(std::mem::take(&mut current));
                        }
                    }
                    TokenKind::RParen => parens = parens.saturating_sub(1),
                    _ => {}
                }
            }
            TokenKind::At if parens == 0 => current.directives += 1,
            TokenKind::Colon if in_selection => {
                // The name before was an alias, not a field.
                current.aliases += 1;
                current.fields = current.fields.saturating_sub(1);
                if last_field_at_top {
                    current.top_fields = current.top_fields.saturating_sub(1);
                }
            }
            TokenKind::Name if braces == 0 && parens == 0 && after_fragment => {
                current.fragment = Some(token.data().to_owned());
            }
            TokenKind::Name if in_selection && after_spread && token.data() != "on" => {
                current.spreads.push((token.data().to_owned(), braces == 1));
            }
            TokenKind::Name if in_selection && !after_at && !after_spread && !after_on => {
                current.fields += 1;
                last_field_at_top = braces == 1;
                if last_field_at_top {
                    current.top_fields += 1;
                }
            }
            _ => {}
        }
        after_fragment = braces == 0 && kind == TokenKind::Name && token.data() == "fragment";
        after_on = after_spread && kind == TokenKind::Name && token.data() == "on";
        after_spread = kind == TokenKind::Spread;
        after_at = kind == TokenKind::At;
    }
    if current.fields > 0 || current.directives > 0 || !current.spreads.is_empty() {
        definitions.push(current);
    }
    Ok((definitions, deepest))
}

/// What a selection set asks for, fragments expanded. Sums saturate.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    fields: usize,
    aliases: usize,
    directives: usize,
    /// Fields at the top of the set, through fragments: an operation's root fields.
    top_fields: usize,
    /// Levels of selection sets and fragment spreads below the set.
    nesting: usize,
    /// Schema list fields (`types`, `fields`, ...) nested in each other.
    schema_lists: usize,
    /// Whether `__schema` or `__type` is asked for.
    introspects: bool,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.fields = self.fields.saturating_add(other.fields);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.directives = self.directives.saturating_add(other.directives);
        self.top_fields = self.top_fields.saturating_add(other.top_fields);
        self.nesting = self.nesting.max(other.nesting);
        self.schema_lists = self.schema_lists.max(other.schema_lists);
        self.introspects |= other.introspects;
    }
}

struct Walk<'a> {
    document: &'a ExecutableDocument,
    /// Fragments counted already; `None` while one is being counted (a cycle when met again).
    fragments: HashMap<&'a str, Option<Counts>>,
}

impl<'a> Walk<'a> {
    fn set(&mut self, set: &'a SelectionSet, depth: usize) -> Result<Counts, Refusal> {
        if depth > MAX_NESTING {
            return Err(Refusal::Nesting { max: MAX_NESTING });
        }
        let mut counts = Counts::default();
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let name = field.name.node.as_str();
                    let mut own = Counts {
                        fields: 1,
                        aliases: usize::from(field.alias.is_some()),
                        directives: field.directives.len(),
                        top_fields: 1,
                        introspects: name == "__schema" || name == "__type",
                        ..Counts::default()
                    };
                    if !field.selection_set.node.items.is_empty() {
                        let below = self.set(&field.selection_set.node, depth + 1)?;
                        own.add(Counts { top_fields: 0, ..below });
                        own.nesting = below.nesting + 1;
                        own.schema_lists = below.schema_lists + usize::from(INTROSPECTION_LISTS.contains(&name));
                    }
                    counts.add(own);
                }
                Selection::InlineFragment(fragment) => {
                    let below = self.set(&fragment.node.selection_set.node, depth + 1)?;
                    counts.add(Counts {
                        directives: below.directives.saturating_add(fragment.node.directives.len()),
                        nesting: below.nesting + 1,
                        ..below
                    });
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    let below = self.fragment(name, depth + 1)?;
                    counts.add(Counts {
                        directives: below.directives.saturating_add(spread.node.directives.len()),
                        nesting: below.nesting + 1,
                        ..below
                    });
                }
            }
            if counts.nesting + depth > MAX_NESTING {
                return Err(Refusal::Nesting { max: MAX_NESTING });
            }
        }
        Ok(counts)
    }

    fn fragment(&mut self, name: &'a str, depth: usize) -> Result<Counts, Refusal> {
        match self.fragments.get(name) {
            Some(Some(counts)) => return Ok(*counts),
            Some(None) => return Err(Refusal::FragmentCycle(name.to_owned())),
            None => {}
        }
        // An unknown fragment counts nothing here; validation names it.
        let Some((key, fragment)) = self.document.fragments.get_key_value(name) else {
            return Ok(Counts::default());
        };
        self.fragments.insert(key.as_str(), None);
        let mut counts = self.set(&fragment.node.selection_set.node, depth)?;
        counts.directives = counts.directives.saturating_add(fragment.node.directives.len());
        self.fragments.insert(key.as_str(), Some(counts));
        Ok(counts)
    }
}

/// Checks every operation and fragment of a parsed document against the limits, so that
/// no validation or execution of it can grow beyond them.
pub fn check_document(document: &ExecutableDocument, limits: &Limits) -> Result<(), Refusal> {
    let mut walk = Walk { document, fragments: HashMap::new() };
    let mut worst = Counts::default();
    for (_, operation) in document.operations.iter() {
        let mut counts = walk.set(&operation.node.selection_set.node, 1)?;
        counts.directives = counts.directives.saturating_add(operation.node.directives.len());
        if counts.top_fields > limits.max_root_fields {
            return Err(Refusal::RootFields { found: counts.top_fields, max: limits.max_root_fields });
        }
        worst.add(Counts { top_fields: 0, ..counts });
        worst.fields = worst.fields.max(counts.fields);
        worst.aliases = worst.aliases.max(counts.aliases);
        worst.directives = worst.directives.max(counts.directives);
    }
    // Fragments no operation spreads are validated too.
    for name in document.fragments.keys() {
        let counts = walk.fragment(name.as_str(), 1)?;
        worst.fields = worst.fields.max(counts.fields);
        worst.aliases = worst.aliases.max(counts.aliases);
        worst.directives = worst.directives.max(counts.directives);
        worst.schema_lists = worst.schema_lists.max(counts.schema_lists);
    }
    check_counts(0, worst.aliases, worst.directives, worst.fields, limits)?;
    if worst.schema_lists > INTROSPECTION_LIST_NESTING {
        return Err(Refusal::SchemaLists { found: worst.schema_lists });
    }
    if worst.introspects && !limits.introspection {
        return Err(Refusal::Introspection);
    }
    Ok(())
}

/// async-graphql refuses a document deeper or more complex than its limits while it
/// validates it, but names neither value. A refused document is validated again by a copy
/// of the schema without those limits that runs nothing, [`Measure`] in it, to name them.
/// (An extension on the serving schema could read them on every request, but a schema
/// with extensions sends every field of every answer through the extension chain.)
pub async fn name_refusals(
    response: &mut async_graphql::Response,
    asked: Asked,
    measuring: &NewsroomSchema,
    limits: DepthAndComplexity,
) {
    const TOO_DEEP: &str = "Query is nested too deep.";
    const TOO_COMPLEX: &str = "Query is too complex.";
    if !response.errors.iter().any(|e| e.message == TOO_DEEP || e.message == TOO_COMPLEX) {
        return;
    }
    let measured = Arc::new(Measured::default());
    let mut request = async_graphql::Request::new(asked.query).variables(asked.variables).data(measured.clone());
    request.operation_name = asked.operation_name;
    let _ = measuring.execute(request).await;
    response.errors = match measured.0.get() {
        Some(Ok(found)) if found.depth > limits.max_depth => {
            let refusal =
                Refusal::Depth { found: found.depth, max: limits.max_depth, introspection: limits.introspection };
            vec![refusal.into_server_error()]
        }
        Some(Ok(found)) => {
            vec![Refusal::Complexity { found: found.complexity, max: limits.max_complexity }.into_server_error()]
        }
        // Invalid as well: the validation errors say more than the limits do.
        Some(Err(errors)) => errors.clone(),
        None => return,
    };
}

/// The depth and complexity a schema holds documents to.
#[derive(Debug, Clone, Copy)]
pub struct DepthAndComplexity {
    pub max_depth: usize,
    pub max_complexity: usize,
    /// Whether it is the schema that answers introspection-only queries.
    pub introspection: bool,
}

/// What a request asked for, kept in case it is refused and has to be measured.
#[derive(Debug, Clone)]
pub struct Asked {
    query: String,
    operation_name: Option<String>,
    variables: Variables,
}

impl Asked {
    pub fn of(request: &async_graphql::Request) -> Asked {
        Asked {
            query: request.query.clone(),
            operation_name: request.operation_name.clone(),
            variables: request.variables.clone(),
        }
    }
}

/// What [`Measure`] found: the document's depth and complexity, or its validation errors.
#[derive(Default)]
struct Measured(OnceLock<Result<ValidationResult, Vec<ServerError>>>);

/// Notes the outcome of validation in the request's [`Measured`], and stops the request.
pub struct Measure;

impl ExtensionFactory for Measure {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Measure)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for Measure {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let outcome = next.run(ctx).await;
        if let Some(measured) = ctx.data_opt::<Arc<Measured>>() {
            let _ = measured.0.set(outcome);
        }
        Err(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(query: &str) -> Result<(), Refusal> {
        let limits = Limits::default();
        check_text(query, &limits)?;
        check_document(&async_graphql::parser::parse_query(query).expect("parses"), &limits)
    }

    #[test]
    fn counts_what_fragments_expand_to() {
        let aliases: String = (0..16).map(|i| format!("a{i}: slug ")).collect();
        let twice = format!("{{ sections {{ ...F }} s: sections {{ ...F }} }} fragment F on Section {{ {aliases} }}");
        assert_eq!(check(&twice), Err(Refusal::Aliases { found: 33, max: 30 }));
        let root = format!("{{ ...R ...R }} fragment R on Query {{ {} }}", "me { id } ".repeat(11));
        assert_eq!(check(&root), Err(Refusal::RootFields { found: 22, max: 20 }));
    }

    #[test]
    fn fragments_that_multiply_are_counted_without_walking_them_out() {
        let mut doc = String::from("{ sections { ...F0 } }");
        for i in 0..60 {
            doc.push_str(&format!(" fragment F{i} on Section {{ ...F{} parent {{ ...F{} }} }}", i + 1, i + 1));
        }
        doc.push_str(" fragment F60 on Section { slug }");
        assert_eq!(check(&doc), Err(Refusal::Nesting { max: MAX_NESTING }));
        let mut wide = String::from("{ sections { ...F0 } }");
        for i in 0..25 {
            wide.push_str(&format!(" fragment F{i} on Section {{ ...F{} ...F{} }}", i + 1, i + 1));
        }
        wide.push_str(" fragment F25 on Section { slug }");
        assert_eq!(check(&wide), Err(Refusal::Fields { found: (1 << 25) + 1, max: 5000 }));
    }

    #[test]
    fn the_text_counts_selections_only() {
        let query = r#"query Q($a: Int = 1, $f: ArticleFilter = { section: "x" }) @x {
            articles(first: $a, filter: { section: "world" }) { nodes { ... on Article { s: slug } ...F } }
        }
        fragment F on Article @y { headline @include(if: true) }"#;
        let (definitions, _) = read_text(query, 5_000).unwrap();
        let counts: Vec<_> = definitions
            .iter()
            .map(|d| (d.fragment.as_deref(), d.fields, d.aliases, d.directives, d.top_fields))
            .collect();
        assert_eq!(counts, [(None, 3, 1, 1, 1), (Some("F"), 1, 0, 2, 1)]);
        assert_eq!(definitions[0].spreads, [("F".to_owned(), false)]);
    }

    #[test]
    fn fragments_are_expanded_before_parsing() {
        let fields = "slug ".repeat(2_490);
        let spread =
            format!("{{ a: sections {{ ...A }} b: sections {{ ...A }} }} fragment A on Section {{ {fields} }}");
        // Twice: 2 + 2 * 2,490 = 4,982 fields, within the limit.
        assert_eq!(check_text(&spread, &Limits::default()), Ok(()));
        let thrice = format!(
            "{{ a: sections {{ ...A }} b: sections {{ ...A }} c: sections {{ ...A }} }} fragment A on Section {{ {fields} }}"
        );
        assert_eq!(check_text(&thrice, &Limits::default()), Err(Refusal::Fields { found: 7_473, max: 5_000 }));
    }

    #[test]
    fn cycles_and_brackets_and_tokens() {
        let cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
        assert!(matches!(check(cycle), Err(Refusal::FragmentCycle(_))));
        let deep = format!("{{ article(slug: {}\"x\"{}) {{ slug }} }}", "[".repeat(100), "]".repeat(100));
        assert_eq!(check(&deep), Err(Refusal::Brackets { max: 64 }));
        // Brackets inside strings and comments are no brackets, and neither are tokens.
        let quoted = format!("{{ article(slug: \"{}\") {{ slug }} }} # {}", "[".repeat(100), "{ ".repeat(20_000));
        assert_eq!(check(&quoted), Ok(()));
        let many = format!("{{ {} }}", "__typename ".repeat(20_000));
        assert_eq!(check(&many), Err(Refusal::Tokens { max: 5_000 }));
    }
}
