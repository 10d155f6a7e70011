import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from './src/core/store/db'
import { importFolder } from './src/core/dataset/import'
const folder = process.argv[2]!
const work = await mkdtemp(join(tmpdir(), 'exp4-'))
const db = openDatabase(join(work, 'l.sqlite'))
for (const run of ['fresh', 'thumbs-present-new-dataset', 'reimport']) {
  const t = performance.now()
  const r = await importFolder({ db, thumbnailsDir: join(work, 'th') }, { folder, dataset: run === 'reimport' ? 'thumbs-present-new-dataset' : run })
  console.log(run, r.imported, r.duplicates, ((performance.now() - t) / 1000).toFixed(2), 's')
}
db.close(); await rm(work, { recursive: true })
