//! The GraphQL spec's rules for field errors ("Handling Field Errors", "Errors and
//! Non-Null Fields"), applied to an executed answer in one pass: a field that raised an
//! error is null, and when its type is non-null the null moves up to the nearest
//! nullable field or list item above it, up to `data: null` at the root. The executor
//! drops the key of a non-null field instead, or nulls only the object right above it,
//! which clients that trust the schema (generated types, normalised caches) cannot read.
//!
//! The pass knows each field's type from the schema's SDL and each response key's field
//! from the operation's selections (aliases and fragments included).

use std::collections::HashMap;

use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, OperationDefinition, Selection, SelectionSet, Type,
    TypeDefinition, TypeKind, TypeSystemDefinition,
};
use async_graphql::{Name, PathSegment, Response, Value};

/// Field types by type and field name, for the object and interface types of a schema.
#[derive(Debug, Default)]
pub struct FieldTypes(HashMap<String, HashMap<String, Type>>);

impl FieldTypes {
    /// From the schema's SDL.
    pub fn of_sdl(sdl: &str) -> FieldTypes {
        let Ok(document) = async_graphql::parser::parse_schema(sdl) else {
            return FieldTypes::default();
        };
        let types = document.definitions.into_iter().filter_map(|definition| match definition {
            TypeSystemDefinition::Type(definition) => fields_of(definition.node),
            _ => None,
        });
        FieldTypes(types.collect())
    }

    fn get(&self, type_name: &str, field: &str) -> Option<&Type> {
        self.0.get(type_name)?.get(field)
    }
}

fn fields_of(definition: TypeDefinition) -> Option<(String, HashMap<String, Type>)> {
    let fields = match definition.kind {
        TypeKind::Object(object) => object.fields,
        TypeKind::Interface(interface) => interface.fields,
        _ => return None,
    };
    let fields = fields.into_iter().map(|f| (f.node.name.node.to_string(), f.node.ty.node)).collect();
    Some((definition.name.node.to_string(), fields))
}

impl FieldTypes {
    /// Moves the null of every field error up as far as the spec has it.
    pub fn follow_the_spec(
        &self,
        response: &mut Response,
        document: &ExecutableDocument,
        operation_name: Option<&str>,
    ) {
        if response.errors.iter().any(|error| !error.path.is_empty()) {
            propagate(response, self, document, operation_name);
        }
    }
}

fn propagate(response: &mut Response, types: &FieldTypes, document: &ExecutableDocument, operation_name: Option<&str>) {
    let Some(operation) = operation(document, operation_name) else { return };
    let root = match operation.ty {
        async_graphql::parser::types::OperationType::Query => "Query",
        async_graphql::parser::types::OperationType::Mutation => "Mutation",
        async_graphql::parser::types::OperationType::Subscription => "Subscription",
    };
    let paths: Vec<Vec<PathSegment>> =
        response.errors.iter().filter(|e| !e.path.is_empty()).map(|e| e.path.clone()).collect();
    for path in paths {
        if response.data == Value::Null {
            return;
        }
        let Some(nullable) = nullability(&path, types, document, root, &operation.selection_set.node) else {
            continue;
        };
        match nullable.iter().rposition(|n| *n) {
            Some(at) => set_null(&mut response.data, &path[..=at]),
            None => response.data = Value::Null,
        }
    }
}

/// The operation a request runs.
fn operation<'a>(document: &'a ExecutableDocument, name: Option<&str>) -> Option<&'a OperationDefinition> {
    match (&document.operations, name) {
        (DocumentOperations::Single(operation), _) => Some(&operation.node),
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name).map(|op| &op.node),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next().map(|op| &op.node)
        }
        _ => None,
    }
}

/// Whether each position along `path` may be null; `None` when a step is not a field
/// of the schema (introspection) or not in the operation.
fn nullability(
    path: &[PathSegment],
    types: &FieldTypes,
    document: &ExecutableDocument,
    root: &str,
    selection: &SelectionSet,
) -> Option<Vec<bool>> {
    let mut nullable = Vec::with_capacity(path.len());
    let mut parent = root.to_owned();
    let mut selections: Vec<&SelectionSet> = vec![selection];
    let mut current: Option<Type> = None;
    for segment in path {
        match segment {
            PathSegment::Field(key) => {
                let mut found = Vec::new();
                for set in &selections {
                    fields_by_key(set, key, &parent, document, &mut found);
                }
                let (on, field) = found.first()?;
                let ty = types.get(on, field.name.node.as_str())?.clone();
                nullable.push(ty.nullable);
                parent = named(&ty).to_owned();
                selections = found.iter().map(|(_, field)| &field.selection_set.node).collect();
                current = Some(ty);
            }
            PathSegment::Index(_) => {
                let BaseType::List(item) = &current.as_ref()?.base else { return None };
                let item = (**item).clone();
                nullable.push(item.nullable);
                current = Some(item);
            }
        }
    }
    Some(nullable)
}

fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(item) => named(item),
    }
}

/// The fields of `set` (its fragments included) whose response key is `key`, with the
/// type each is selected on.
fn fields_by_key<'a>(
    set: &'a SelectionSet,
    key: &str,
    on: &str,
    document: &'a ExecutableDocument,
    found: &mut Vec<(String, &'a async_graphql::parser::types::Field)>,
) {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                if field.node.response_key().node.as_str() == key {
                    found.push((on.to_owned(), &field.node));
                }
            }
            Selection::InlineFragment(fragment) => {
                let on = fragment.node.type_condition.as_ref().map_or(on, |c| c.node.on.node.as_str());
                fields_by_key(&fragment.node.selection_set.node, key, on, document, found);
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node) {
                    let on = fragment.node.type_condition.node.on.node.as_str();
                    fields_by_key(&fragment.node.selection_set.node, key, on, document, found);
                }
            }
        }
    }
}

/// Sets the value at `path` to null, when what holds it is still there.
fn set_null(data: &mut Value, path: &[PathSegment]) {
    let Some((last, above)) = path.split_last() else {
        *data = Value::Null;
        return;
    };
    let mut holder = data;
    for segment in above {
        let next = match (segment, holder) {
            (PathSegment::Field(key), Value::Object(object)) => object.get_mut(key.as_str()),
            (PathSegment::Index(index), Value::List(items)) => items.get_mut(*index),
            _ => None,
        };
        match next {
            Some(next) => holder = next,
            None => return,
        }
    }
    match (last, holder) {
        (PathSegment::Field(key), Value::Object(object)) => {
            object.insert(Name::new(key), Value::Null);
        }
        (PathSegment::Index(index), Value::List(items)) => {
            if let Some(item) = items.get_mut(*index) {
                *item = Value::Null;
            }
        }
        _ => {}
    }
}

/// What `__schema { description }` answers.
pub const SCHEMA_DESCRIPTION: &str = "newsroom: a content API for news publishers: articles, sections, images with their credits, \
     comments and newsletter sign-ups.";

/// Puts ours in place of the executor's generic `__schema.description`.
pub fn describe_schema(response: &mut Response, document: &ExecutableDocument, operation_name: Option<&str>) {
    let Some(operation) = operation(document, operation_name) else { return };
    let Value::Object(data) = &mut response.data else { return };
    let mut schemas = Vec::new();
    collect_fields(&operation.selection_set.node, "__schema", document, &mut schemas);
    for schema in schemas {
        let Some(Value::Object(answer)) = data.get_mut(schema.response_key().node.as_str()) else { continue };
        let mut descriptions = Vec::new();
        collect_fields(&schema.selection_set.node, "description", document, &mut descriptions);
        for description in descriptions {
            answer.insert(description.response_key().node.clone(), Value::String(SCHEMA_DESCRIPTION.into()));
        }
    }
}

/// The selections of field `name` in `set`, its fragments included.
fn collect_fields<'a>(
    set: &'a SelectionSet,
    name: &str,
    document: &'a ExecutableDocument,
    found: &mut Vec<&'a async_graphql::parser::types::Field>,
) {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) if field.node.name.node.as_str() == name => found.push(&field.node),
            Selection::Field(_) => {}
            Selection::InlineFragment(fragment) => {
                collect_fields(&fragment.node.selection_set.node, name, document, found)
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node) {
                    collect_fields(&fragment.node.selection_set.node, name, document, found);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::ServerError;
    use serde_json::json;

    use super::*;

    const SDL: &str = "
        type Query { article(slug: String!): Article  articles(first: Int): Connection!  sections: [Section!]! }
        type Connection { nodes: [Article!]!  total: Int! }
        type Article { id: ID!  revisions: [Int!]!  section: Section!  note: String  tags: [String]! }
        type Section { name: String!  articles(first: Int): Connection! }
    ";

    fn answer(query: &str, data: serde_json::Value, error_at: &[serde_json::Value]) -> serde_json::Value {
        let document = async_graphql::parser::parse_query(query).unwrap();
        let mut response = Response::new(Value::from_json(data).unwrap());
        for path in error_at {
            let mut error = ServerError::new("refused", None);
            error.path = path
                .as_array()
                .unwrap()
                .iter()
                .map(|s| match s {
                    serde_json::Value::String(key) => PathSegment::Field(key.clone()),
                    index => PathSegment::Index(index.as_u64().unwrap() as usize),
                })
                .collect();
            response.errors.push(error);
        }
        propagate(&mut response, &FieldTypes::of_sdl(SDL), &document, None);
        response.data.into_json().unwrap()
    }

    #[test]
    fn a_non_null_field_nulls_its_nullable_parent() {
        let query = "{ a: article(slug: \"x\") { id revisions } }";
        assert_eq!(answer(query, json!({ "a": { "id": "1" } }), &[json!(["a", "revisions"])]), json!({ "a": null }));
    }

    #[test]
    fn the_null_climbs_through_non_null_lists_to_the_root() {
        let query = "{ articles(first: 1) { nodes { id section { articles(first: 500) { total } } } } }";
        let data = json!({ "articles": { "nodes": [{ "id": "1", "section": null }] } });
        let error = json!(["articles", "nodes", 0, "section", "articles"]);
        assert_eq!(answer(query, data, &[error]), json!(null));
        let query = "{ sections { name } articles(first: 1000) { total } }";
        let data = json!({ "sections": [{ "name": "World" }] });
        assert_eq!(answer(query, data, &[json!(["articles"])]), json!(null));
    }

    #[test]
    fn a_nullable_field_or_list_item_takes_the_null_itself() {
        let query = "{ article(slug: \"x\") { id note tags } }";
        let data = json!({ "article": { "id": "1", "note": "n", "tags": ["a", "b"] } });
        let errors = [json!(["article", "note"]), json!(["article", "tags", 1])];
        assert_eq!(
            answer(query, data, &errors),
            json!({ "article": { "id": "1", "note": null, "tags": ["a", null] } })
        );
    }

    #[test]
    fn aliases_and_fragments_name_their_fields() {
        let query = "query { ...Page } fragment Page on Query { one: article(slug: \"x\") { ... on Article { r: revisions } } }";
        let data = json!({ "one": { "r": null } });
        assert_eq!(answer(query, data, &[json!(["one", "r"])]), json!({ "one": null }));
    }

    #[test]
    fn the_schema_describes_itself() {
        let query = "{ __schema { d: description queryType { name } } }";
        let document = async_graphql::parser::parse_query(query).unwrap();
        let data = json!({ "__schema": { "d": "generic", "queryType": { "name": "Query" } } });
        let mut response = Response::new(Value::from_json(data).unwrap());
        describe_schema(&mut response, &document, None);
        assert_eq!(response.data.into_json().unwrap()["__schema"]["d"], SCHEMA_DESCRIPTION);
    }
}
