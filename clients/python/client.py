#!/usr/bin/env python3
"""An editor's Python script against newsroom, with the real `gql` client (4.x).

Runs six scenarios against a running server and exits non-zero, with a message
naming the scenario and what was expected, as soon as one expectation is not met.

Environment:
  NEWSROOM_URL              base URL of the server, e.g. http://127.0.0.1:18080
  NEWSROOM_EDITOR_EMAIL     an editor account ...
  NEWSROOM_EDITOR_PASSWORD  ... and its password

Install and run (Python 3.11 or newer):
  python3 -m venv .venv && .venv/bin/pip install -r clients/python/requirements.txt
  .venv/bin/python clients/python/client.py

Every write uses a unique headline, so the script can run again and again against
the same server.
"""

import asyncio
import os
import sys
import time
import traceback
import uuid
from datetime import datetime

from graphql import GraphQLError, GraphQLSchema

from gql import Client, GraphQLRequest, gql
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport

SCENARIO_TIMEOUT_SECONDS = 60
SUBSCRIPTION_DEADLINE_SECONDS = 10
# Time for the server to register a subscription before we publish. The
# protocols do not acknowledge a single subscription, so we wait a moment.
SUBSCRIPTION_SETTLE_SECONDS = 1.0
PAGES, PAGE_SIZE = 3, 5


class ExpectationFailed(Exception):
    """An expectation of a scenario was not met."""


def expect(condition, message):
    if not condition:
        raise ExpectationFailed(message)


def env(name):
    value = os.environ.get(name, "").strip()
    if not value:
        sys.exit(f"FAIL: environment variable {name} is not set")
    return value


BASE_URL = env("NEWSROOM_URL").rstrip("/")
EDITOR_EMAIL = env("NEWSROOM_EDITOR_EMAIL")
EDITOR_PASSWORD = env("NEWSROOM_EDITOR_PASSWORD")
HTTP_URL = f"{BASE_URL}/graphql"
WS_URL = "ws" + HTTP_URL[len("http"):] + "/ws"  # http -> ws, https -> wss


def unique_headline(purpose):
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    return f"gql client {purpose} {stamp} {uuid.uuid4().hex[:8]}"


# --- documents ---------------------------------------------------------------

UNKNOWN_FIELD = gql("{ articles(first: 1) { nodes { id noSuchField } } }")

NEWEST_SLUG = gql("{ articles(first: 1) { nodes { slug } } }")

ARTICLE_PAGE = gql(
    """
    query ArticlePage($slug: String!) {
      article(slug: $slug) {
        id
        headline
        section { name breadcrumbs { name path } }
        leadImage { url credit { creditLine } }
        authors { name }
        blocks { __typename ... on ParagraphBlock { html } }
        comments(first: 5) { totalCount nodes { authorName } }
      }
    }
    """
)

ARTICLES_PAGE = gql(
    """
    query ArticlesPage($first: Int!, $after: String) {
      articles(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node { id headline publishedAt } }
      }
    }
    """
)

ARTICLE_BY_SLUG = gql(
    """
    query ArticleBySlug($slug: String!) {
      article(slug: $slug) { id headline status }
    }
    """
)

LOGIN = gql(
    """
    mutation Login($email: String!, $password: String!) {
      login(email: $email, password: $password) { token expiresAt user { name role } }
    }
    """
)

SECTION_ID = gql('query { section(slug: "world") { id } }')

CREATE_ARTICLE = gql(
    """
    mutation CreateArticle($input: CreateArticleInput!) {
      createArticle(input: $input) { id slug headline status }
    }
    """
)

PUBLISH_ARTICLE = gql(
    """
    mutation PublishArticle($id: ID!) {
      publishArticle(id: $id) { id status publishedAt }
    }
    """
)

CREATE_SECTION = gql(
    """
    mutation CreateSection($input: CreateSectionInput!) {
      createSection(input: $input) { id }
    }
    """
)

NEGATIVE_FIRST = gql("{ articles(first: -1) { nodes { id } } }")

ARTICLE_PUBLISHED = gql("subscription { articlePublished { id headline } }")


def request(document, **variables):
    return GraphQLRequest(document, variable_values=variables or None)


# --- clients -----------------------------------------------------------------


class CountingTransport(AIOHTTPTransport):
    """AIOHTTPTransport that counts the operations it sends to the server."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sent = 0

    async def execute(self, *args, **kwargs):
        self.sent += 1
        return await super().execute(*args, **kwargs)


def http_client(token=None):
    """A client that introspects the server, so gql validates every document."""
    headers = {"Authorization": f"Bearer {token}"} if token else None
    transport = CountingTransport(url=HTTP_URL, headers=headers)
    return Client(transport=transport, fetch_schema_from_transport=True)


async def execute(document, token=None, **variables):
    async with http_client(token) as session:
        return await session.execute(request(document, **variables))


async def expect_error(document, token=None, **variables):
    """Runs a document the server must refuse; returns gql's TransportQueryError."""
    try:
        result = await execute(document, token, **variables)
    except TransportQueryError as error:
        return error
    raise ExpectationFailed(f"expected the server to refuse, got data {result!r}")


_token = None


async def editor_token():
    """Signs in once with the `login` mutation; the token is reused."""
    global _token
    if _token is None:
        try:
            data = await execute(LOGIN, email=EDITOR_EMAIL, password=EDITOR_PASSWORD)
        except TransportQueryError as error:
            raise ExpectationFailed(f"login as {EDITOR_EMAIL} was refused: {error}") from None
        login = data["login"]
        expect(login["token"], "login gave an empty token")
        expect(login["user"]["role"] in ("EDITOR", "ADMIN"),
               f"login: {EDITOR_EMAIL} is {login['user']['role']}, not an editor")
        _token = login["token"]
    return _token


async def world_section_id(token):
    data = await execute(SECTION_ID, token)
    expect(data["section"] is not None, 'section(slug: "world") is null')
    return data["section"]["id"]


async def create_draft(token, purpose):
    headline = unique_headline(purpose)
    article_input = {
        "headline": headline,
        "standfirst": "Written by the Python gql client test.",
        "bodyMarkdown": f"A paragraph about {purpose}.\n\nAnd a second one.",
        "sectionId": await world_section_id(token),
    }
    data = await execute(CREATE_ARTICLE, token, input=article_input)
    article = data["createArticle"]
    expect(article["headline"] == headline,
           f"createArticle answered headline {article['headline']!r}, sent {headline!r}")
    expect(article["status"] == "DRAFT",
           f"createArticle answered status {article['status']}, expected DRAFT")
    return article


async def publish(token, article_id):
    data = await execute(PUBLISH_ARTICLE, token, id=article_id)
    published = data["publishArticle"]
    expect(published["status"] == "PUBLISHED",
           f"publishArticle answered status {published['status']}, expected PUBLISHED")
    expect(published["publishedAt"], "publishArticle answered no publishedAt")
    return published


async def anonymous_article(slug):
    data = await execute(ARTICLE_BY_SLUG, slug=slug)
    return data["article"]


# --- scenarios -----------------------------------------------------------------


async def scenario_schema_from_introspection():
    client = http_client()
    async with client as session:
        schema = client.schema
        expect(isinstance(schema, GraphQLSchema), "gql fetched no schema")
        for type_name, field in [("Query", "articles"), ("Mutation", "login"),
                                 ("Subscription", "articlePublished")]:
            expect(field in schema.get_type(type_name).fields,
                   f"introspected schema has no {type_name}.{field}")
        sent_before = client.transport.sent
        try:
            await session.execute(UNKNOWN_FIELD)
        except GraphQLError as error:
            expect("noSuchField" in error.message,
                   f"gql refused the document, but not for the unknown field: {error}")
        else:
            raise ExpectationFailed("a query with an unknown field was not refused")
        expect(client.transport.sent == sent_before,
               "gql sent the invalid query to the server instead of refusing it locally")
    return "schema introspected; unknown field refused locally by gql, nothing sent"


async def scenario_article_page():
    nodes = (await execute(NEWEST_SLUG))["articles"]["nodes"]
    expect(len(nodes) == 1, f"articles(first: 1) gave {len(nodes)} nodes")
    slug = nodes[0]["slug"]
    article = (await execute(ARTICLE_PAGE, slug=slug))["article"]
    expect(article is not None, f"article(slug: {slug!r}) is null for the newest article")
    expect(article["headline"].strip(), "the headline is empty")
    expect(article["blocks"], "the article has no blocks")
    section = article["section"]
    expect(section["breadcrumbs"] and section["breadcrumbs"][-1]["name"] == section["name"],
           f"the breadcrumbs {section['breadcrumbs']} do not end at {section['name']!r}")
    paragraphs = [b for b in article["blocks"] if b["__typename"] == "ParagraphBlock"]
    expect(all(p["html"] for p in paragraphs), "a ParagraphBlock has empty html")
    comments = article["comments"]
    expect(len(comments["nodes"]) <= min(5, comments["totalCount"]),
           f"comments: {len(comments['nodes'])} nodes but totalCount {comments['totalCount']}")
    return (f"{article['headline']!r}: {len(article['blocks'])} blocks, "
            f"section {section['name']!r}, {comments['totalCount']} comments")


async def ensure_published_articles(count):
    """Publishes filler articles when the server has fewer than `count`."""
    total = (await execute(ARTICLES_PAGE, first=1))["articles"]["totalCount"]
    missing = max(0, count - total)
    if missing:
        token = await editor_token()
        for _ in range(missing):
            draft = await create_draft(token, "pagination filler")
            await publish(token, draft["id"])
    return missing


async def scenario_relay_pagination():
    created = await ensure_published_articles(PAGES * PAGE_SIZE)
    ids, published_at, after = [], [], None
    for page in range(1, PAGES + 1):
        data = (await execute(ARTICLES_PAGE, first=PAGE_SIZE, after=after))["articles"]
        edges = data["edges"]
        expect(len(edges) == PAGE_SIZE, f"page {page} has {len(edges)} edges, expected {PAGE_SIZE}")
        ids += [edge["node"]["id"] for edge in edges]
        published_at += [edge["node"]["publishedAt"] for edge in edges]
        info = data["pageInfo"]
        expect(info["endCursor"] == edges[-1]["cursor"],
               f"page {page}: endCursor is not the last edge's cursor")
        if page < PAGES:
            expect(info["hasNextPage"], f"page {page}: hasNextPage is false")
        after = info["endCursor"]
    expect(len(set(ids)) == len(ids) == PAGES * PAGE_SIZE,
           f"expected {PAGES * PAGE_SIZE} distinct ids, got {len(set(ids))} of {len(ids)}: {ids}")
    times = [datetime.fromisoformat(stamp) for stamp in published_at]
    expect(times == sorted(times, reverse=True),
           f"articles are not in publishedAt descending order: {published_at}")
    note = f" (published {created} filler articles first)" if created else ""
    return f"{len(ids)} distinct ids over {PAGES} pages, publishedAt descending{note}"


async def scenario_login_to_publish():
    token = await editor_token()
    draft = await create_draft(token, "login to publish")
    expect(await anonymous_article(draft["slug"]) is None,
           f"an anonymous reader sees the draft {draft['slug']!r}")
    await publish(token, draft["id"])
    seen = await anonymous_article(draft["slug"])
    expect(seen is not None,
           f"an anonymous reader does not see {draft['slug']!r} after it was published")
    expect(seen["headline"] == draft["headline"] and seen["status"] == "PUBLISHED",
           f"an anonymous reader sees {seen}, expected {draft['headline']!r} PUBLISHED")
    return f"draft hidden from readers, then published and visible: {draft['slug']}"


def expect_code(error, code, what):
    errors = error.errors or []
    expect(errors, f"{what}: TransportQueryError without errors: {error}")
    first = errors[0]
    actual = (first.get("extensions") or {}).get("code")
    expect(actual == code, f"{what}: expected code {code}, got {actual} in {first}")
    expect(first.get("message", "").strip(), f"{what}: the error message is empty: {first}")
    return first


async def scenario_error_codes():
    section_input = {"slug": f"py-{uuid.uuid4().hex[:8]}", "name": "Never created"}
    error = await expect_error(CREATE_SECTION, input=section_input)
    unauthenticated = expect_code(error, "UNAUTHENTICATED", "anonymous createSection")

    error = await expect_error(NEGATIVE_FIRST)
    negative = expect_code(error, "BAD_USER_INPUT", "articles(first: -1)")

    token = await editor_token()
    article_input = {"headline": "", "bodyMarkdown": "Body.",
                     "sectionId": await world_section_id(token)}
    error = await expect_error(CREATE_ARTICLE, token, input=article_input)
    empty = expect_code(error, "BAD_USER_INPUT", "createArticle with an empty headline")
    return (f"UNAUTHENTICATED ({unauthenticated['message']!r}), "
            f"BAD_USER_INPUT ({negative['message']!r}; {empty['message']!r})")


async def next_published(session, headline, received):
    """Reads the subscription until the article with `headline` arrives."""
    async for data in session.subscribe(ARTICLE_PUBLISHED):
        article = data["articlePublished"]
        received.append(article)
        if article["headline"] == headline:
            return article


async def subscription_over(subprotocol, schema):
    token = await editor_token()
    draft = await create_draft(token, f"subscription {subprotocol}")
    transport = WebsocketsTransport(url=WS_URL, subprotocols=[subprotocol])
    # The WebSocket only carries subscriptions: the schema comes from HTTP.
    async with Client(transport=transport, schema=schema) as session:
        expect(transport.subprotocol == subprotocol,
               f"the server chose subprotocol {transport.subprotocol!r}, asked {subprotocol!r}")
        received = []
        listener = asyncio.create_task(next_published(session, draft["headline"], received))
        try:
            await asyncio.sleep(SUBSCRIPTION_SETTLE_SECONDS)
            if listener.done():  # raises the subscription's error, if it had one
                raise ExpectationFailed(f"{subprotocol}: the subscription ended at once, "
                                        f"giving {listener.result()!r}")
            await publish(token, draft["id"])
            article = await asyncio.wait_for(listener, SUBSCRIPTION_DEADLINE_SECONDS)
        except asyncio.TimeoutError:
            raise ExpectationFailed(
                f"{subprotocol}: {draft['headline']!r} did not arrive within "
                f"{SUBSCRIPTION_DEADLINE_SECONDS}s; received {received}") from None
        finally:
            listener.cancel()
        expect(article is not None,
               f"{subprotocol}: the subscription ended before the article; received {received}")
        expect(article["id"] == draft["id"],
               f"{subprotocol}: received id {article['id']}, published {draft['id']}")
    return draft["headline"]


async def scenario_subscriptions():
    client = http_client()
    async with client:
        schema = client.schema
    heard = []
    for subprotocol in (WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL,
                        WebsocketsTransport.APOLLO_SUBPROTOCOL):
        await subscription_over(subprotocol, schema)
        heard.append(subprotocol)
    return "articlePublished received the published headline over " + " and ".join(heard)


SCENARIOS = [
    ("1 schema from introspection", scenario_schema_from_introspection),
    ("2 article page, anonymous", scenario_article_page),
    ("3 relay pagination", scenario_relay_pagination),
    ("4 login to publish", scenario_login_to_publish),
    ("5 errors and their codes", scenario_error_codes),
    ("6 subscriptions over both protocols", scenario_subscriptions),
]


async def main():
    print(f"newsroom at {HTTP_URL} (WebSocket {WS_URL})")
    for name, scenario in SCENARIOS:
        try:
            summary = await asyncio.wait_for(scenario(), SCENARIO_TIMEOUT_SECONDS)
        except ExpectationFailed as failure:
            print(f"FAIL {name}: {failure}", file=sys.stderr)
            return 1
        except Exception:  # an unexpected error is a failure too, with its traceback
            print(f"FAIL {name}: unexpected error", file=sys.stderr)
            traceback.print_exc()
            return 1
        print(f"ok   {name}: {summary}", flush=True)
    print("all scenarios passed")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
