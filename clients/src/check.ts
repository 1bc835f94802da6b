// What every client scenario shares: the server it talks to, assertions that say what was
// expected, and a fetch that keeps answers by their ETag the way a browser's HTTP cache does.

export const server = required("NEWSROOM_URL").replace(/\/$/, "");
export const endpoint = `${server}/graphql`;
export const socketEndpoint = `${endpoint.replace(/^http/, "ws")}/ws`;
export const editorToken = required("NEWSROOM_EDITOR_TOKEN");

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`expected: ${message}`);
}

export function equal<T>(actual: T, expected: T, what: string): void {
  const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)];
  check(a === e, `${what} to be ${e}, was ${a}`);
}

/** Runs the scenarios in order, one line each; the first failure ends the run. */
export async function run(client: string, scenarios: Record<string, () => Promise<void>>): Promise<void> {
  for (const [name, scenario] of Object.entries(scenarios)) {
    const started = Date.now();
    try {
      await scenario();
    } catch (error) {
      console.error(`${client}: FAIL ${name}`);
      console.error(error);
      process.exit(1);
    }
    console.log(`${client}: ok ${name} (${Date.now() - started} ms)`);
  }
}

/** A headline no earlier run used, so the scenarios can run again on the same server. */
export function fresh(what: string): string {
  return `${what} ${new Date().toISOString()} ${Math.random().toString(36).slice(2, 8)}`;
}

/** The HTTP exchanges a client made, for scenarios that assert what went over the wire. */
export interface Exchange {
  method: string;
  url: string;
  status: number;
  body: string;
}

/**
 * fetch with a browser's HTTP cache for validators: a GET answered with an ETag is kept,
 * the next GET of that URL sends If-None-Match, and a 304 is answered from what was kept.
 */
export function browserLikeFetch(log: Exchange[]): typeof fetch {
  const kept = new Map<string, { etag: string; body: string; contentType: string }>();
  return async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? "GET").toUpperCase();
    const headers = new Headers(init?.headers);
    const previous = method === "GET" ? kept.get(url) : undefined;
    if (previous) headers.set("if-none-match", previous.etag);
    const response = await fetch(url, { ...init, headers });
    if (response.status === 304 && previous) {
      log.push({ method, url, status: 304, body: "" });
      return new Response(previous.body, { status: 200, headers: { "content-type": previous.contentType } });
    }
    const body = await response.text();
    log.push({ method, url, status: response.status, body });
    const etag = response.headers.get("etag");
    if (method === "GET" && etag) {
      kept.set(url, { etag, body, contentType: response.headers.get("content-type") ?? "application/json" });
    }
    return new Response(body, { status: response.status, headers: response.headers });
  };
}

/** An editor's request over plain HTTP, for the writes a scenario needs around a client. */
export async function asEditor<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${editorToken}` },
    body: JSON.stringify({ query, variables }),
  });
  const answer = (await response.json()) as { data?: T; errors?: unknown[] };
  check(!answer.errors, `no errors from the editor's request, got ${JSON.stringify(answer.errors)}`);
  return answer.data as T;
}

/** Publishes a new article in the world section; its headline. */
export async function publishSomething(headline = fresh("Published for a subscriber")): Promise<string> {
  const world = await asEditor<{ section: { id: string } }>(`{ section(slug: "world") { id } }`);
  const created = await asEditor<{ createArticle: { id: string } }>(
    `mutation ($input: CreateArticleInput!) { createArticle(input: $input) { id } }`,
    { input: { headline, bodyMarkdown: "A short report.", sectionId: world.section.id } },
  );
  await asEditor(`mutation ($id: ID!) { publishArticle(id: $id) { id } }`, { id: created.createArticle.id });
  return headline;
}
