// After `vite build`: a .gz copy of every compressible file in dist/ (the gateway sends it to
// clients that accept gzip), and a size report of the JavaScript and CSS.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";

const dist = new URL("../dist/", import.meta.url).pathname;
const compressible = /\.(js|css|html|svg|json)$/;
const rows = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (compressible.test(name)) {
      const raw = readFileSync(path);
      const gz = gzipSync(raw, { level: 9 });
      if (gz.length < raw.length) writeFileSync(`${path}.gz`, gz);
      rows.push([relative(dist, path), raw.length, gz.length]);
    }
  }
}
walk(dist);
rows.sort((a, b) => b[2] - a[2]);
for (const [name, raw, gz] of rows) {
  console.log(`${(raw / 1024).toFixed(1).padStart(8)} kB  gzip ${(gz / 1024).toFixed(1).padStart(7)} kB  ${name}`);
}
