// GraphiQL in headless Chromium, with the network to anything but our server blocked: the
// page must load, run a query and show a subscription's event from our server alone,
// under its Content-Security-Policy.
import { chromium } from "playwright-core";

import { check, fresh, publishSomething, run, server } from "./check.js";

const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium-headless-shell";
const ours = new URL(server);
const browser = await chromium.launch({
  executablePath,
  // No other host resolves: a request elsewhere fails even if it slipped past the route.
  args: [`--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${ours.hostname}`],
});
const context = await browser.newContext();
const elsewhere: string[] = [];
await context.route("**/*", (route) => {
  const url = new URL(route.request().url());
  if (url.origin === ours.origin || url.protocol === "data:") return route.continue();
  elsewhere.push(url.href);
  return route.abort("blockedbyclient");
});
const page = await context.newPage();
const complaints: string[] = [];
page.on("console", (message) => {
  if (message.type() === "error") complaints.push(message.text());
});
page.on("pageerror", (error) => complaints.push(error.message));

/** Writes a document into GraphiQL's editor, runs it, and waits for the result pane to show `expected`. */
async function runInGraphiql(source: string, expected: string, whileWaiting?: () => Promise<unknown>) {
  await page.evaluate((text) => {
    const editor = document.querySelector(".graphiql-query-editor .CodeMirror") as unknown as {
      CodeMirror: { setValue(value: string): void };
    };
    editor.CodeMirror.setValue(text);
  }, source);
  // GraphiQL parses the editor's text a moment after it changes, and routes the operation
  // (subscriptions to the WebSocket) by what it parsed: wait as a person would before
  // pressing run.
  await page.waitForTimeout(500);
  await page.click(".graphiql-execute-button");
  await whileWaiting?.();
  await page.waitForFunction(
    (wanted) => {
      const pane = document.querySelector(".graphiql-response .CodeMirror") as unknown as {
        CodeMirror: { getValue(): string };
      } | null;
      return pane?.CodeMirror.getValue().includes(wanted);
    },
    expected,
    { timeout: 10_000 },
  );
}

try {
  await run("graphiql", {
    async "the page loads from our server alone"() {
      await page.goto(`${server}/graphiql`);
      await page.waitForSelector(".graphiql-query-editor .CodeMirror", { timeout: 15_000 });
      check(elsewhere.length === 0, `no request elsewhere, got ${elsewhere.join(", ")}`);
    },

    async "a query runs"() {
      await runInGraphiql(`{ sections { slug } }`, `"slug": "world"`);
    },

    async "a subscription shows its event"() {
      const headline = fresh("GraphiQL subscriber");
      await runInGraphiql(`subscription { articlePublished { headline } }`, headline, async () => {
        // graphql-transport-ws does not acknowledge a subscribe message: give the server a
        // moment to start the subscription before the event it waits for.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        await publishSomething(headline);
      });
    },

    async "nothing was refused or failed on the way"() {
      check(elsewhere.length === 0, `no request elsewhere, got ${elsewhere.join(", ")}`);
      check(complaints.length === 0, `no errors in the console, got ${complaints.join(" | ")}`);
    },
  });
} finally {
  await browser.close();
}
