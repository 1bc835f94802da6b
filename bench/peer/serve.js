// Serves the `public` schema of a PostgreSQL database with PostGraphile's default options,
// for the load benchmark to measure newsroom against: `node serve.js <database URL> <port>`.
// The benchmark starts it with NODE_ENV=production.
"use strict";
const http = require("http");
const { postgraphile } = require("postgraphile");

const [url, port] = process.argv.slice(2);
if (!url || !port) {
  console.error("usage: node serve.js <database URL> <port>");
  process.exit(2);
}
http.createServer(postgraphile(url, "public")).listen(Number(port), "127.0.0.1", () => {
  console.error(`PostGraphile serving ${new URL(url).pathname.slice(1)} on 127.0.0.1:${port}`);
});
