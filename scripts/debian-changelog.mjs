// Writes CHANGELOG.md (Keep a Changelog) as a Debian changelog, one entry per release, newest
// first, for the .deb's /usr/share/doc/partner-desk/changelog.gz (scripts/package.sh).
import { readFileSync } from "node:fs";

const MAINTAINER = "The Partner Desk authors <team@partnerdesk.app>";
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `text` cut into lines of at most `width`, at spaces. */
function wrap(text, width) {
  const lines = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** RFC 2822 at midnight UTC of an ISO day, as dpkg wants it. */
function rfc2822(day) {
  const d = new Date(`${day}T00:00:00Z`);
  const dd = String(d.getUTCDate()).padStart(2, "0");
  return `${DAYS[d.getUTCDay()]}, ${dd} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} 00:00:00 +0000`;
}

const releases = [];
for (const line of readFileSync(process.argv[2], "utf8").split("\n")) {
  const heading = line.match(/^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})/);
  if (heading) {
    releases.push({ version: heading[1], day: heading[2], items: [] });
  } else if (line.startsWith("## ")) {
    releases.push(null); // Unreleased: not in a package
  } else if (releases.at(-1)) {
    const items = releases.at(-1).items;
    if (line.startsWith("- ")) items.push(line.slice(2));
    else if (/^\s+\S/.test(line) && items.length) items[items.length - 1] += ` ${line.trim()}`;
    else if (/^\S/.test(line) && !line.startsWith("#")) items.push(line.trim());
  }
}

const out = [];
for (const r of releases.filter(Boolean)) {
  out.push(`partner-desk (${r.version}) unstable; urgency=medium`, "");
  for (const item of r.items) {
    const [first, ...rest] = wrap(item.replaceAll("`", ""), 74);
    out.push(`  * ${first}`, ...rest.map((l) => `    ${l}`));
  }
  out.push("", ` -- ${MAINTAINER}  ${rfc2822(r.day)}`, "");
}
process.stdout.write(out.join("\n"));
