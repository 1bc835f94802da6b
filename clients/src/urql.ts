// urql 6 (@urql/core) as a frontend uses it: its document cache, cursor pagination,
// persisted queries over GET, and subscriptions over graphql-ws.
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from "@urql/core";
import { persistedExchange } from "@urql/exchange-persisted";
import { parse, print } from "graphql";
import { createClient } from "graphql-ws";
import { createHash } from "node:crypto";
import WebSocket from "ws";

import { ArticlePage, CreateSection, Newest, Published } from "./documents.js";
import { type Exchange, browserLikeFetch, check, endpoint, equal, fresh, publishSomething, run, socketEndpoint } from "./check.js";

function reader(log: Exchange[]) {
  return new Client({ url: endpoint, exchanges: [cacheExchange, fetchExchange], fetch: browserLikeFetch(log) });
}

async function newestSlug(): Promise<string> {
  const { data, error } = await reader([]).query(Newest, { first: 1 }).toPromise();
  check(!error, `no error, got ${error}`);
  const slug = data?.articles.edges[0]?.node.slug;
  check(slug, "at least one published article");
  return slug;
}

await run("urql", {
  async "the article page, then again from the cache"() {
    const log: Exchange[] = [];
    const client = reader(log);
    const slug = await newestSlug();
    const { data, error } = await client.query(ArticlePage, { slug }).toPromise();
    check(!error, `no error, got ${error}`);
    check(data?.article?.headline, "a headline");
    check(data.article.comments.totalCount >= data.article.comments.nodes.length, "a comment count");
    const requests = log.length;
    const again = await client.query(ArticlePage, { slug }).toPromise();
    equal(again.data?.article?.id, data.article.id, "the cached article");
    equal(log.length, requests, "requests for a page in the cache");
  },

  async "cursor pagination"() {
    const client = reader([]);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 3; page++) {
      const { data, error } = await client.query(Newest, { first: 3, after }).toPromise();
      check(!error && data, `a page, got ${error}`);
      seen.push(...data.articles.edges.map((edge) => edge.node.id));
      after = data.articles.pageInfo.endCursor ?? null;
      check(data.articles.pageInfo.hasNextPage || page === 2, "more pages");
    }
    equal(new Set(seen).size, 9, "distinct articles over three pages");
  },

  async "errors carry their codes"() {
    const client = reader([]);
    const write = await client.mutation(CreateSection, { input: { slug: "nope", name: "Nope" } }).toPromise();
    equal(write.error?.graphQLErrors[0]?.extensions?.code, "UNAUTHENTICATED", "the code of an anonymous write");
    equal(write.data?.createSection ?? null, null, "no section");
    const bad = await client.query(Newest, { first: -1 }).toPromise();
    equal(bad.error?.graphQLErrors[0]?.extensions?.code, "BAD_USER_INPUT", "the code of a negative page size");
    equal(bad.data, null, "data after a refused root field");
  },

  async "persisted queries over GET, then 304 Not Modified"() {
    const log: Exchange[] = [];
    const slug = await newestSlug();
    const alias = `run_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
    const query = parse(print(ArticlePage).replace("headline", `headline ${alias}: headline`)) as typeof ArticlePage;
    const fetch = browserLikeFetch(log);
    const persisted = persistedExchange({
      preferGetForPersistedQueries: true,
      generateHash: async (text) => createHash("sha256").update(text).digest("hex"),
    });
    for (let visit = 0; visit < 3; visit++) {
      const client = new Client({ url: endpoint, exchanges: [persisted, fetchExchange], fetch });
      const { data, error } = await client.query(query, { slug }).toPromise();
      check(!error && data?.article?.slug === slug, `the article page, got ${error}`);
    }
    check(log[0].method === "GET" && log[0].body.includes("PERSISTED_QUERY_NOT_FOUND"), "an unknown hash first");
    check(log.slice(2).every((exchange) => exchange.method === "GET" && !exchange.url.includes("query=")), "GETs by hash");
    equal(log[log.length - 1].status, 304, "the last visit's status, answered from the HTTP cache");
  },

  async "a subscription event over graphql-ws"() {
    let connected: () => void = () => {};
    const acknowledged = new Promise<void>((resolve) => (connected = resolve));
    const socket = createClient({ url: socketEndpoint, webSocketImpl: WebSocket, on: { connected: () => connected() } });
    const client = new Client({
      url: endpoint,
      exchanges: [
        fetchExchange,
        subscriptionExchange({
          forwardSubscription: (request) => ({
            subscribe: (sink) => ({ unsubscribe: socket.subscribe({ ...request, query: request.query ?? "" }, sink) }),
          }),
        }),
      ],
    });
    const headline = fresh("urql subscriber");
    let timer: NodeJS.Timeout | undefined;
    let stop = () => {};
    const received = new Promise<string>((resolve, reject) => {
      const subscription = client.subscription(Published, {}).subscribe((result) => {
        if (result.error) reject(result.error);
        if (result.data?.articlePublished.headline === headline) resolve(headline);
      });
      stop = () => subscription.unsubscribe();
      timer = setTimeout(() => reject(new Error("expected: the event within 10 s")), 10_000);
    });
    try {
      await acknowledged;
      await new Promise((resolve) => setTimeout(resolve, 500));
      await publishSomething(headline);
      equal(await received, headline, "the headline the subscription received");
    } finally {
      clearTimeout(timer);
      stop();
      await socket.dispose();
    }
  },
});
