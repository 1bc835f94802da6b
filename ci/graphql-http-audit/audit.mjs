// Runs every server audit of graphql-http (the GraphQL over HTTP spec's reference audit
// suite) against a running server, prints each with its result, and exits non-zero when a
// MUST fails, or a SHOULD fails that is not in ALLOWED_WARNINGS below.
//
//   node audit.mjs http://127.0.0.1:8080/graphql

import { serverAudits } from 'graphql-http';

// SHOULD audits the server does not pass on purpose, by audit id, each with the reason.
// docs/api.md ("GraphQL over HTTP") lists the same ones; keep the two in step.
const ALLOWED_WARNINGS = new Map([
  // (none)
]);

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <url of the GraphQL endpoint>');
  process.exit(2);
}

let failures = 0;
let passed = 0;
let allowed = 0;
let notices = 0;
const audits = serverAudits({ url, fetchFn: fetch });
for (const audit of audits) {
  let result;
  try {
    result = await audit.fn();
  } catch (error) {
    result = { status: 'error', reason: `the audit could not run: ${error}` };
  }
  // A response body left unread holds its connection open.
  if (result.response && !result.response.bodyUsed) {
    await result.response.body?.cancel().catch(() => {});
  }
  let mark;
  if (result.status === 'ok') {
    mark = 'ok     ';
    passed += 1;
  } else if (result.status === 'warn' && ALLOWED_WARNINGS.has(audit.id)) {
    mark = 'allowed';
    allowed += 1;
  } else if (result.status === 'notice') {
    mark = 'notice ';
    notices += 1;
  } else {
    mark = 'FAIL   ';
    failures += 1;
  }
  console.log(`${mark} [${audit.id}] ${audit.name}`);
  if (result.status !== 'ok') {
    const why = ALLOWED_WARNINGS.get(audit.id);
    console.log(`          ${result.reason}${why ? ` (allowed: ${why})` : ''}`);
  }
}

for (const id of ALLOWED_WARNINGS.keys()) {
  if (!audits.some((audit) => audit.id === id)) {
    console.log(`FAIL    the allow-list names audit ${id}, which graphql-http no longer has`);
    failures += 1;
  }
}

console.log(
  `\n${audits.length} audits: ${passed} passed, ${allowed} allowed SHOULD warnings, ` +
    `${notices} MAY notices, ${failures} failed`,
);
process.exit(failures === 0 ? 0 : 1);
