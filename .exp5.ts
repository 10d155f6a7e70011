import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from './src/core/store/db'
import { importFolder } from './src/core/dataset/import'
const folder = process.argv[2]!
for (const c of [2, 4, 6, 8, 4]) {
  const work = await mkdtemp(join(tmpdir(), 'exp5-'))
  const db = openDatabase(join(work, 'l.sqlite'))
  const t = performance.now()
  const r = await importFolder({ db, thumbnailsDir: join(work, 'th') }, { folder, dataset: 'x', concurrency: c })
  console.log('concurrency', c, r.imported, ((performance.now() - t) / 1000).toFixed(2), 's')
  db.close(); await rm(work, { recursive: true })
}
