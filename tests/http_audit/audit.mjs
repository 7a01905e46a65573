// Runs the GraphQL over HTTP audits of graphql-http, the specification's reference
// implementation, against the URL given and prints every result as one JSON array, for
// tests/test_graphql_over_http.py. Failed audits carry the reason and the answer they got.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs http://host:port/graphql');
  process.exit(2);
}

const results = await auditServer({ url });
const report = await Promise.all(
  results.map(async (result) => {
    const entry = { id: result.id, name: result.name, status: result.status };
    if (result.status !== 'ok') {
      entry.reason = result.reason;
      entry.responseStatus = result.response.status;
      entry.responseType = result.response.headers.get('content-type');
      entry.responseBody = await result.response.text().catch(() => '(already read)');
    }
    return entry;
  }),
);
process.stdout.write(JSON.stringify(report));
