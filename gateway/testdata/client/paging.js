// Pages through a search with fhir-kit-client, following the gateway's
// rewritten links, and reads the patient. Prints one JSON summary line.
// Usage: node paging.js BASE_URL TOKEN PATIENT_ID
const Client = require('fhir-kit-client');

async function main() {
  const [base, token, patient] = process.argv.slice(2);
  const client = new Client({ baseUrl: base, customHeaders: { Authorization: 'Bearer ' + token } });
  const p = await client.read({ resourceType: 'Patient', id: patient });
  let page = await client.search({ resourceType: 'Observation', searchParams: { patient: 'Patient/' + patient, _count: 5 } });
  let pages = 0, entries = 0, foreign = 0, links = [];
  while (page && pages < 50) {
    pages++;
    for (const l of page.link || []) links.push(l.url);
    for (const e of page.entry || []) {
      entries++;
      if (e.resource.subject.reference !== 'Patient/' + patient) foreign++;
    }
    page = await client.nextPage({ bundle: page });
  }
  let denied = '';
  try {
    await client.search({ resourceType: 'Observation', searchParams: { patient: 'Patient/someone-else' } });
  } catch (err) {
    denied = String(err.response && err.response.status);
  }
  console.log(JSON.stringify({ patient: p.id, fields: Object.keys(p).sort(), pages, entries, foreign, links, denied }));
}

main().catch((err) => { console.error(String(err && err.message || err)); process.exit(1); });
