// Writes the option tables generated from the configuration declarations into
// the docs (between <!-- options:<name>:begin --> and <!-- options:<name>:end -->);
// with --check, fails when a table is stale instead. Reads the build (dist/).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const { CONFIG_DOC_FILES, updateConfigDocs } = await import(join(root, 'dist/cli/config-docs.js'));

let stale = false;
for (const [file, names] of Object.entries(CONFIG_DOC_FILES)) {
  const path = join(root, file);
  const { text, changed } = updateConfigDocs(readFileSync(path, 'utf8'), names);
  if (!changed.length) continue;
  if (check) {
    stale = true;
    console.error(`${file}: the option table(s) ${changed.join(', ')} differ from the declarations; run npm run gen:config-docs`);
  } else {
    writeFileSync(path, text);
    console.log(`${file}: regenerated ${changed.join(', ')}`);
  }
}
if (stale) process.exit(1);
