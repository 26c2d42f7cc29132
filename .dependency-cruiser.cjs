// The layer order of src/ (issue 20): a module may import its own folder and any folder of a
// LOWER layer, never a higher one, and no import circle anywhere. `npm run lint` runs this.
//
//   commands → cli → api → peer runtime / control → {download, serving, sync, discovery}
//     → {transport, ops} → {protocol, library} → fs → errors / config / util / words
//
// api/ (record 0027) is the one interface the commands call, implemented through serve (over
// control/) and on disk (library, ops, a one-shot peer): it sits above both, below the CLI.
//
// A few pairs inside one layer are forbidden too: download knows no ops (the runtime composes a
// download with its operation lock); download and serving meet only in the runtime; protocol
// knows no library (the wire's types are protocol's own; shared words live in src/words/).

/** Layers from the bottom; each entry is a path pattern under src/. */
const LAYERS = [
  ['errors\\.ts', 'config\\.ts', 'util/', 'words/'],
  ['fs/'],
  ['protocol/', 'library/'],
  ['transport/', 'ops/'],
  ['download/', 'serving/', 'sync/', 'discovery/'],
  ['peer/', 'control/'],
  ['api/'],
  ['cli/'],
  ['commands/'],
]

// test/fixtures/layers/src/ holds a deliberate arrow up and circle (test/layers.test.ts).
const under = (patterns) => `^(test/fixtures/layers/)?src/(${patterns.join('|')})`

/** For every layer but the top: nothing in it imports anything above it. */
const upwardRules = LAYERS.slice(0, -1).map((layer, index) => ({
  name: `no-upward-from-layer-${index}`,
  comment: `${layer.join(', ')} must not import a higher layer (${LAYERS.slice(index + 1).flat().join(', ')})`,
  severity: 'error',
  from: {path: under(layer)},
  to: {path: under(LAYERS.slice(index + 1).flat())},
}))

const sideways = (name, from, to, comment) => ({name, comment, severity: 'error', from: {path: under(from)}, to: {path: under(to)}})

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import circle makes load order matter and the layers meaningless.',
      severity: 'error',
      from: {},
      to: {circular: true},
    },
    ...upwardRules,
    sideways('download-knows-no-ops', ['download/'], ['ops/'], 'The runtime composes a download with its operation lock.'),
    sideways('download-knows-no-serving', ['download/'], ['serving/'], 'Download and serving meet only in the runtime.'),
    sideways('serving-knows-no-download', ['serving/'], ['download/'], 'Download and serving meet only in the runtime.'),
    sideways('protocol-knows-no-library', ['protocol/'], ['library/'], 'The wire is a leaf: its types are its own; shared words live in src/words/.'),
    sideways('library-knows-no-protocol', ['library/'], ['protocol/'], 'Library and protocol share words through src/words/ only.'),
    sideways('discovery-knows-no-sync', ['discovery/'], ['sync/', 'download/', 'serving/'], 'Discovery finds peers; it knows no conversation with them.'),
    sideways('transport-knows-no-ops', ['transport/'], ['ops/'], 'Transport moves bytes; it knows no installs.'),
    sideways('ops-knows-no-transport', ['ops/'], ['transport/'], 'Installs know no network.'),
  ],
  options: {
    doNotFollow: {path: 'node_modules'},
    // Type-only imports count: a type import upward is still an arrow up.
    tsPreCompilationDeps: true,
    tsConfig: {fileName: 'tsconfig.json'},
    enhancedResolveOptions: {exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default']},
  },
}
