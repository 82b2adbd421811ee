// maven-resolve.cjs: checks one module of a local Maven repository layout (as
// maven-layout.sh writes it) and prints what a build tool would resolve from
// it, so the consumers in test.sh take their jar paths from the metadata and
// not from build directories.
//
// Checks, each failure a line on stderr and exit status 1:
//   - the POM: coordinates, packaging, name, description, url, two licences,
//     developers, scm, and the marker that tells Gradle to read the .module;
//   - the .module: formatVersion 1.1, the component's coordinates, variants
//     apiElements, runtimeElements, sourcesElements, javadocElements, each
//     file present with the size, sha512, sha256, sha1 and md5 recorded;
//     the POM's dependencies equal to runtimeElements' (and its compile ones
//     to apiElements');
//   - every file of the version directory and maven-metadata.xml has .md5,
//     .sha1, .sha256 and .sha512 files that match;
//   - maven-metadata.xml names the module and lists the version.
// Prints, for VARIANT (default runtimeElements):
//   file <absolute path>                    one line per file
//   dependency <group>:<module>:<version>   one line per dependency
//
// Usage: node maven-resolve.cjs REPO GROUP:ARTIFACT:VERSION [VARIANT]   (Node 12+)
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const [repoArg, coords, variantName = 'runtimeElements'] = process.argv.slice(2);
if (!repoArg || !coords || coords.split(':').length !== 3) {
  console.error('usage: node maven-resolve.cjs REPO GROUP:ARTIFACT:VERSION [VARIANT]');
  process.exit(2);
}
const [group, artifact, version] = coords.split(':');
const repo = path.resolve(repoArg);
const artifactDir = path.join(repo, ...group.split('.'), artifact);
const dir = path.join(artifactDir, version);
const base = `${artifact}-${version}`;
const errors = [];
const fail = (msg) => errors.push(msg);
const hash = (algo, file) => crypto.createHash(algo).update(fs.readFileSync(file)).digest('hex');
const done = () => {
  if (errors.length) {
    for (const e of errors) console.error(`maven layout ${coords}: ${e}`);
    process.exit(1);
  }
};

// The POM.
const pomFile = path.join(dir, `${base}.pom`);
if (!fs.existsSync(pomFile)) {
  fail(`no POM at ${pomFile}`);
  done();
}
const pom = fs.readFileSync(pomFile, 'utf8');
const tag = (xml, name) => {
  const m = xml.match(new RegExp(`<${name}>([^<]*)</${name}>`));
  return m ? m[1].trim() : null;
};
const project = pom.replace(/<dependencies>[\s\S]*<\/dependencies>/, '')
  .replace(/<licenses>[\s\S]*<\/licenses>/, '').replace(/<developers>[\s\S]*<\/developers>/, '')
  .replace(/<scm>[\s\S]*<\/scm>/, '');
for (const [name, want] of [['groupId', group], ['artifactId', artifact], ['version', version]]) {
  if (tag(project, name) !== want) fail(`POM ${name} is ${tag(project, name)}, not ${want}`);
}
const packaging = tag(project, 'packaging') || 'jar';
for (const name of ['name', 'description', 'url']) {
  if (!tag(project, name)) fail(`POM has no ${name}`);
}
const licences = [...pom.matchAll(/<license>[\s\S]*?<name>([^<]*)<\/name>[\s\S]*?<\/license>/g)].map((m) => m[1]);
if (licences.join(' ') !== 'Apache-2.0 MIT') fail(`POM licences are [${licences}], not Apache-2.0 and MIT`);
if (!/<developers>\s*<developer>/.test(pom)) fail('POM has no developers');
if (!/<scm>[\s\S]*<url>[^<]+<\/url>[\s\S]*<\/scm>/.test(pom)) fail('POM has no scm url');
if (!pom.includes('do_not_remove: published-with-gradle-metadata')) fail('POM lacks the Gradle metadata marker');
const pomDeps = [...pom.matchAll(/<dependency>([\s\S]*?)<\/dependency>/g)].map((m) => ({
  id: `${tag(m[1], 'groupId')}:${tag(m[1], 'artifactId')}:${tag(m[1], 'version')}`,
  scope: tag(m[1], 'scope') || 'compile',
  type: tag(m[1], 'type'),
}));

// The module metadata.
const moduleFile = path.join(dir, `${base}.module`);
let gmm = null;
try {
  gmm = JSON.parse(fs.readFileSync(moduleFile, 'utf8'));
} catch (e) {
  fail(`no readable module metadata at ${moduleFile}: ${e.message}`);
  done();
}
if (gmm.formatVersion !== '1.1') fail(`module formatVersion is ${gmm.formatVersion}, not 1.1`);
const c = gmm.component || {};
if (c.group !== group || c.module !== artifact || c.version !== version) {
  fail(`module component is ${c.group}:${c.module}:${c.version}`);
}
const variants = new Map((gmm.variants || []).map((v) => [v.name, v]));
for (const name of ['apiElements', 'runtimeElements', 'sourcesElements', 'javadocElements']) {
  if (!variants.has(name)) fail(`module has no variant ${name}`);
}
const ext = packaging === 'aar' ? 'aar' : 'jar';
const expectedFile = { apiElements: `${base}.${ext}`, runtimeElements: `${base}.${ext}`,
  sourcesElements: `${base}-sources.jar`, javadocElements: `${base}-javadoc.jar` };
for (const v of variants.values()) {
  const files = v.files || [];
  if (expectedFile[v.name] && (files.length !== 1 || files[0].name !== expectedFile[v.name])) {
    fail(`variant ${v.name} does not have exactly the file ${expectedFile[v.name]}`);
  }
  for (const f of files) {
    const p = path.join(dir, f.url);
    if (!fs.existsSync(p)) {
      fail(`variant ${v.name}: ${f.url} missing`);
      continue;
    }
    if (fs.statSync(p).size !== f.size) fail(`variant ${v.name}: ${f.url} size ${fs.statSync(p).size}, metadata says ${f.size}`);
    for (const algo of ['sha512', 'sha256', 'sha1', 'md5']) {
      if (hash(algo, p) !== f[algo]) fail(`variant ${v.name}: ${f.url} ${algo} differs from the metadata`);
    }
  }
}
const depIds = (v) => (v && v.dependencies ? v.dependencies : []).map((d) => `${d.group}:${d.module}:${d.version && d.version.requires}`);
const sameSet = (a, b) => a.length === b.length && [...a].sort().join() === [...b].sort().join();
if (!sameSet(depIds(variants.get('runtimeElements')), pomDeps.map((d) => d.id))) {
  fail(`POM dependencies [${pomDeps.map((d) => d.id)}] differ from runtimeElements' [${depIds(variants.get('runtimeElements'))}]`);
}
if (!sameSet(depIds(variants.get('apiElements')), pomDeps.filter((d) => d.scope === 'compile').map((d) => d.id))) {
  fail('POM compile dependencies differ from apiElements\'');
}
for (const d of pomDeps.filter((x) => x.type)) {
  const md = ((variants.get('runtimeElements') || {}).dependencies || []).find((x) => `${x.group}:${x.module}:${x.version.requires}` === d.id);
  const sel = md && md.thirdPartyCompatibility && md.thirdPartyCompatibility.artifactSelector;
  if (!sel || sel.type !== d.type || sel.extension !== d.type) fail(`${d.id}: POM type ${d.type} without the module's artifactSelector`);
}

// Checksum files.
const sidecars = (p) => {
  for (const algo of ['md5', 'sha1', 'sha256', 'sha512']) {
    const s = `${p}.${algo}`;
    if (!fs.existsSync(s)) fail(`${path.relative(repo, s)} missing`);
    else if (fs.readFileSync(s, 'utf8').trim() !== hash(algo, p)) fail(`${path.relative(repo, s)} does not match`);
  }
};
for (const f of fs.readdirSync(dir).sort()) {
  if (!/\.(md5|sha1|sha256|sha512)$/.test(f)) sidecars(path.join(dir, f));
}
for (const f of [`${base}.pom`, `${base}.module`, `${base}.${ext}`, `${base}-sources.jar`, `${base}-javadoc.jar`]) {
  if (!fs.existsSync(path.join(dir, f))) fail(`${f} missing`);
}
const metaFile = path.join(artifactDir, 'maven-metadata.xml');
if (!fs.existsSync(metaFile)) {
  fail('maven-metadata.xml missing');
} else {
  const meta = fs.readFileSync(metaFile, 'utf8');
  if (tag(meta, 'groupId') !== group || tag(meta, 'artifactId') !== artifact) fail('maven-metadata.xml names another module');
  if (!meta.includes(`<version>${version}</version>`)) fail(`maven-metadata.xml does not list ${version}`);
  if (!/<lastUpdated>\d{14}<\/lastUpdated>/.test(meta)) fail('maven-metadata.xml has no lastUpdated');
  sidecars(metaFile);
}
if (!variants.has(variantName)) fail(`no variant ${variantName}`);
done();

const v = variants.get(variantName);
for (const f of v.files) console.log(`file ${path.join(dir, f.url)}`);
for (const d of depIds(v)) console.log(`dependency ${d}`);
