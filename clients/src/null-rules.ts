// The GraphQL spec's null rules, with graphql-js as the judge: each document is executed by
// our server and by graphql-js over our exported schema, with resolvers that raise an error
// exactly where ours did and otherwise hand back what ours answered. Where an error makes
// graphql-js null a field, a list item or the whole `data`, ours must have nulled the same.
import { deepStrictEqual } from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  type GraphQLFieldResolver,
  type GraphQLOutputType,
  type GraphQLSchema,
  buildSchema,
  execute,
  getNamedType,
  getNullableType,
  isAbstractType,
  isEnumType,
  isListType,
  isObjectType,
  parse,
} from "graphql";

import { check, endpoint, run } from "./check.js";

type Path = (string | number)[];
interface Answer {
  data?: unknown;
  errors?: { message: string; path?: Path }[];
}

const schema = buildSchema(readFileSync(new URL("../../schema.graphql", import.meta.url), "utf8"));

async function ours(query: string, variables: Record<string, unknown>): Promise<Answer> {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as Answer;
}

const key = (path: Path) => JSON.stringify(path);

function responsePath(info: { path: { prev: unknown; key: string | number } | undefined }): Path {
  const path: Path = [];
  for (let at = info.path; at; at = at.prev as typeof at) path.unshift(at.key);
  return path;
}

function valueAt(data: unknown, path: Path): unknown {
  let value = data;
  for (const step of path) {
    if (value === null || value === undefined) return undefined;
    value = (value as Record<string | number, unknown>)[step];
  }
  return value;
}

/** A stand-in for a value ours nulled: enough shape to reach the errors below it. */
function standIn(type: GraphQLOutputType, path: Path, failing: Path[], schema: GraphQLSchema): unknown {
  const inner = getNullableType(type);
  if (isListType(inner)) {
    const indices = failing
      .filter((p) => p.length > path.length && key(p.slice(0, path.length)) === key(path))
      .map((p) => p[path.length] as number);
    const length = indices.length ? Math.max(...indices) + 1 : 1;
    return Array.from({ length }, (_, i) => standIn(inner.ofType, [...path, i], failing, schema));
  }
  const named = getNamedType(inner);
  if (isObjectType(named)) return { __typename: named.name };
  if (isAbstractType(named)) return { __typename: schema.getPossibleTypes(named)[0].name };
  if (isEnumType(named)) return named.getValues()[0].value;
  return { String: "x", ID: "x", Int: 0, Float: 0, Boolean: false }[named.name] ?? "2020-01-01T00:00:00Z";
}

/** What graphql-js answers when every field resolves to ours, and fails where ours failed. */
async function judged(query: string, variables: Record<string, unknown>, answer: Answer): Promise<Answer> {
  const failing = (answer.errors ?? []).flatMap((error) => (error.path ? [error.path] : []));
  const fieldResolver: GraphQLFieldResolver<unknown, unknown> = (_source, _args, _context, info) => {
    const path = responsePath(info);
    const failed = (answer.errors ?? []).find((error) => error.path && key(error.path) === key(path));
    if (failed) throw new Error(failed.message);
    const value = valueAt(answer.data, path);
    const below = failing.some((p) => p.length > path.length && key(p.slice(0, path.length)) === key(path));
    if (value === undefined || (value === null && below)) return standIn(info.returnType, path, failing, schema);
    if (value !== null && typeof value === "object") {
      // Objects and lists: their fields resolve by path; lists keep ours' length.
      return Array.isArray(value) ? value.map((item) => (item !== null && typeof item === "object" ? { ...item } : item)) : { ...value };
    }
    return value;
  };
  const result = await execute({
    schema,
    document: parse(query),
    variableValues: variables,
    fieldResolver,
    typeResolver: (value, _context, _info, type) =>
      (value as { __typename?: string }).__typename ?? schema.getPossibleTypes(type)[0].name,
  });
  return JSON.parse(JSON.stringify(result)) as Answer;
}

async function agrees(query: string, variables: Record<string, unknown> = {}): Promise<void> {
  const answer = await ours(query, variables);
  check(answer.errors?.length, `the document raises an error: ${query}`);
  const oracle = await judged(query, variables, answer);
  // graphql-js stops completing a list at its first item whose error nulls the list, so it
  // reports that one; ours completes every item and reports each, which the spec allows
  // (one error per response position). Each error graphql-js reports, ours reports too.
  const paths = (a: Answer) => new Set((a.errors ?? []).map((e) => key(e.path ?? [])));
  const reported = paths(answer);
  for (const path of paths(oracle)) check(reported.has(path), `an error at ${path} for ${query}`);
  deepStrictEqual("data" in answer, "data" in oracle, `whether there is data, for ${query}`);
  deepStrictEqual(answer.data, oracle.data, `data of ${query}`);
}

const newest = await ours(`{ articles(first: 1) { nodes { id slug } } }`, {});
const article = (newest.data as { articles: { nodes: { id: string; slug: string }[] } }).articles.nodes[0];
check(article, "a published article");

await run("null rules (graphql-js)", {
  async "a refused non-null list nulls its nullable article"() {
    await agrees(`query ($s: String!) { a: article(slug: $s) { id headline revisions { number } } }`, { s: article.slug });
  },
  async "a refused field deep in a list nulls up to the nearest nullable field"() {
    await agrees(`{ articles(first: 3) { totalCount nodes { id section { articles(first: 500) { totalCount } } } } }`);
  },
  async "a refused non-null root field nulls data"() {
    await agrees(`{ sections { slug } articles(first: 1000) { totalCount } }`);
  },
  async "errors in every item of a list, through aliases and fragments"() {
    await agrees(
      `query { x: articles(first: 3) { ...Page } } fragment Page on ArticleConnection { nodes { slug r: revisions { number } } }`,
    );
  },
  async "under a nullable node"() {
    await agrees(`query ($id: ID!) { node(id: $id) { id ... on Article { revisions { number } } } }`, { id: article.id });
  },
  async "one refused field among fine ones"() {
    await agrees(
      `query ($s: String!) { article(slug: $s) { headline comments(first: -1) { totalCount } } sections { slug } }`,
      { s: article.slug },
    );
  },
  async "a staff-only root list"() {
    await agrees(`{ moderationQueue(first: 5) { totalCount } sections { slug } }`);
  },
  async "a refused mutation"() {
    await agrees(`mutation { createSection(input: { slug: "nope", name: "Nope" }) { id } }`);
  },
});
