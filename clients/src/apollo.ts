// Apollo Client 3 as a frontend team uses it: a normalized cache with relay pagination,
// automatic persisted queries over GET, batching, and subscriptions over graphql-ws.
import { ApolloClient, ApolloError, HttpLink, InMemoryCache, split } from "@apollo/client/core/index.js";
import { loadDevMessages, loadErrorMessages } from "@apollo/client/dev/index.js";
import { BatchHttpLink } from "@apollo/client/link/batch-http/index.js";
import { createPersistedQueryLink } from "@apollo/client/link/persisted-queries/index.js";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions/index.js";
import { relayStylePagination, getMainDefinition } from "@apollo/client/utilities/index.js";
import { parse, print } from "graphql";
import { createHash } from "node:crypto";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

import { ArticlePage, CreateDraft, CreateSection, Newest, Publish, Published, SectionId, WithRevisions } from "./documents.js";
import {
  type Exchange,
  browserLikeFetch,
  check,
  editorToken,
  endpoint,
  equal,
  fresh,
  publishSomething,
  run,
  socketEndpoint,
} from "./check.js";

loadDevMessages();
loadErrorMessages();
// Apollo reports what it could not reconcile with the schema (a missing field, say) as a
// console warning and goes on; here that fails the run.
for (const level of ["warn", "error"] as const) {
  const original = console[level];
  console[level] = (...args: unknown[]) => {
    original(...args);
    if (args.some((arg) => String(arg).includes("Missing field"))) process.exitCode = 1;
  };
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function cache() {
  return new InMemoryCache({ typePolicies: { Query: { fields: { articles: relayStylePagination(["filter", "orderBy"]) } } } });
}

/** A reader's client: every fetch logged, so scenarios can tell what went to the server. */
function readerClient(log: Exchange[]) {
  return new ApolloClient({ cache: cache(), link: new HttpLink({ uri: endpoint, fetch: browserLikeFetch(log) }) });
}

async function newestSlug(): Promise<string> {
  const client = readerClient([]);
  const { data } = await client.query({ query: Newest, variables: { first: 1 } });
  const slug = data.articles.edges[0]?.node.slug;
  check(slug, "at least one published article");
  return slug;
}

await run("apollo", {
  async "the article page, then again from the cache"() {
    const log: Exchange[] = [];
    const client = readerClient(log);
    const slug = await newestSlug();
    const { data } = await client.query({ query: ArticlePage, variables: { slug } });
    const article = data.article;
    check(article, "the newest article");
    check(article.headline.length > 0, "a headline");
    check(article.section.breadcrumbs.length > 0, "section breadcrumbs");
    check(article.blocks.some((block) => block.__typename === "ParagraphBlock"), "paragraphs in the body");
    const requests = log.length;
    const again = await client.query({ query: ArticlePage, variables: { slug }, fetchPolicy: "cache-first" });
    equal(again.data.article?.id, article.id, "the cached article");
    equal(log.length, requests, "requests after a cache-first read of a page in the cache");
  },

  async "a refused field nulls its article, and the cache keeps that answer"() {
    const log: Exchange[] = [];
    const client = readerClient(log);
    const slug = await newestSlug();
    const first = await client.query({ query: WithRevisions, variables: { slug }, errorPolicy: "all" });
    equal(first.data.article, null, "the article whose non-null revisions were refused");
    equal(first.errors?.[0]?.extensions?.code, "UNAUTHENTICATED", "the refusal's code");
    const requests = log.length;
    await client.query({ query: WithRevisions, variables: { slug }, errorPolicy: "all", fetchPolicy: "cache-first" });
    equal(log.length, requests, "requests after a cache-first read of the same query");
  },

  async "relay pagination with fetchMore"() {
    const client = readerClient([]);
    await client.query({ query: Newest, variables: { first: 3 } });
    const observable = client.watchQuery({ query: Newest, variables: { first: 3 }, fetchPolicy: "cache-first" });
    const endCursor = () => observable.getCurrentResult().data.articles.pageInfo.endCursor;
    check(observable.getCurrentResult().data.articles.pageInfo.hasNextPage, "more than one page of articles");
    await observable.fetchMore({ variables: { after: endCursor() } });
    await observable.fetchMore({ variables: { after: endCursor() } });
    const merged = observable.getCurrentResult().data.articles.edges.map((edge) => edge.node);
    equal(merged.length, 9, "articles after two fetchMore calls");
    equal(new Set(merged.map((node) => node.id)).size, 9, "distinct articles");
    const times = merged.map((node) => Date.parse(node.publishedAt ?? ""));
    check(times.every((time, i) => i === 0 || time <= times[i - 1]), "newest first across pages");
  },

  async "an editor's draft, then published"() {
    const editor = new ApolloClient({
      cache: cache(),
      link: new HttpLink({ uri: endpoint, headers: { authorization: `Bearer ${editorToken}` } }),
    });
    const reader = readerClient([]);
    const world = await editor.query({ query: SectionId, variables: { slug: "world" } });
    const sectionId = world.data.section?.id;
    check(sectionId, "the world section");
    const headline = fresh("Apollo draft");
    const draft = await editor.mutate({
      mutation: CreateDraft,
      variables: { input: { headline, bodyMarkdown: "Filed from a frontend.", sectionId } },
    });
    const created = draft.data?.createArticle;
    check(created, "the created draft");
    equal(created.status, "DRAFT", "a new article's status");
    const hidden = await reader.query({ query: ArticlePage, variables: { slug: created.slug }, fetchPolicy: "network-only" });
    equal(hidden.data.article, null, "a draft, as a reader sees it");
    const published = await editor.mutate({ mutation: Publish, variables: { id: created.id } });
    equal(published.data?.publishArticle.status, "PUBLISHED", "the status after publishing");
    const shown = await reader.query({ query: ArticlePage, variables: { slug: created.slug }, fetchPolicy: "network-only" });
    equal(shown.data.article?.headline, headline, "the published article, as a reader sees it");
  },

  async "errors carry their codes"() {
    const reader = readerClient([]);
    try {
      await reader.mutate({ mutation: CreateSection, variables: { input: { slug: "nope", name: "Nope" } } });
      throw new Error("expected: an anonymous createSection to be refused");
    } catch (error) {
      check(error instanceof ApolloError, `an ApolloError, got ${error}`);
      equal(error.graphQLErrors[0]?.extensions?.code, "UNAUTHENTICATED", "the code of an anonymous write");
    }
    const bad = await reader.query({ query: Newest, variables: { first: -1 }, errorPolicy: "all" });
    equal(bad.errors?.[0]?.extensions?.code, "BAD_USER_INPUT", "the code of a negative page size");
    equal(bad.errors?.[0]?.extensions?.field, "first", "the argument named");
  },

  async "persisted queries over GET, then 304 Not Modified"() {
    const log: Exchange[] = [];
    const persisted = createPersistedQueryLink({ sha256, useGETForHashedQueries: true });
    const link = persisted.concat(new HttpLink({ uri: endpoint, fetch: browserLikeFetch(log) }));
    const slug = await newestSlug();
    // A document no earlier run sent (a fresh alias), so the server does not know its hash yet.
    const alias = `run_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
    const text = print(ArticlePage).replace("headline", `headline ${alias}: headline`);
    const query = parse(text) as typeof ArticlePage;
    for (let visit = 0; visit < 3; visit++) {
      // A new visitor each time, with an empty normalized cache but the same HTTP cache.
      const client = new ApolloClient({ cache: cache(), link });
      const { data } = await client.query({ query, variables: { slug } });
      check(data.article?.slug === slug, "the article page");
    }
    equal(log[0].method, "GET", "the first request's method");
    check(!log[0].url.includes("query="), "the first request carries the hash only");
    check(log[0].body.includes("PERSISTED_QUERY_NOT_FOUND"), "the first hash unknown to the server");
    // Apollo sends the query text once, by POST; from then on the hash is enough.
    equal(log[1].method, "POST", "the method of the request with the query text");
    const byHash = log.slice(2);
    check(byHash.every((exchange) => exchange.method === "GET" && !exchange.url.includes("query=")), "GETs by hash");
    check(byHash[0].status === 200 && byHash[0].body.includes(slug), "the page by hash");
    equal(log[log.length - 1].status, 304, "the last visit's status, answered from the HTTP cache");
  },

  async "batched queries in one request"() {
    const log: Exchange[] = [];
    const client = new ApolloClient({
      cache: cache(),
      link: new BatchHttpLink({ uri: endpoint, batchMax: 5, batchInterval: 20, fetch: browserLikeFetch(log) }),
    });
    const [newest, world] = await Promise.all([
      client.query({ query: Newest, variables: { first: 2 } }),
      client.query({ query: SectionId, variables: { slug: "world" } }),
    ]);
    equal(newest.data.articles.edges.length, 2, "articles in the first answer");
    check(world.data.section?.id, "the section in the second answer");
    equal(log.length, 1, "HTTP requests for two batched queries");
  },

  async "a subscription event over graphql-ws"() {
    let connected: () => void = () => {};
    const acknowledged = new Promise<void>((resolve) => (connected = resolve));
    const socket = createClient({ url: socketEndpoint, webSocketImpl: WebSocket, on: { connected: () => connected() } });
    const client = new ApolloClient({
      cache: cache(),
      link: split(
        ({ query }) => {
          const definition = getMainDefinition(query);
          return definition.kind === "OperationDefinition" && definition.operation === "subscription";
        },
        new GraphQLWsLink(socket),
        new HttpLink({ uri: endpoint }),
      ),
    });
    const headline = fresh("Apollo subscriber");
    let timer: NodeJS.Timeout | undefined;
    const received = new Promise<string>((resolve, reject) => {
      const subscription = client.subscribe({ query: Published }).subscribe({
        next: ({ data }) => {
          if (data?.articlePublished.headline === headline) {
            subscription.unsubscribe();
            resolve(headline);
          }
        },
        error: reject,
      });
      timer = setTimeout(() => reject(new Error("expected: the event within 10 s")), 10_000);
    });
    try {
      await acknowledged;
      // graphql-transport-ws does not acknowledge a subscribe message: give the server a
      // moment to start the subscription before the event it waits for.
      await new Promise((resolve) => setTimeout(resolve, 500));
      await publishSomething(headline);
      equal(await received, headline, "the headline the subscription received");
    } finally {
      clearTimeout(timer);
      await socket.dispose();
    }
  },
});
