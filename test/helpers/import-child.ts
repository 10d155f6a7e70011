/**
 * A separate process that imports a folder, so a test can SIGKILL it mid-way.
 * Usage: node --import tsx test/helpers/import-child.ts <library.sqlite> <folder> [chunkSize]
 * Prints one JSON line per progress event and the report at the end.
 */
import { dirname, join } from 'node:path'
import { openDatabase } from '../../src/core/store/db'
import { importFolder } from '../../src/core/dataset/import'

const [dbFile, folder, chunk] = process.argv.slice(2)
if (!dbFile || !folder) {
  console.error('usage: import-child.ts <library.sqlite> <folder> [chunkSize]')
  process.exit(2)
}
const db = openDatabase(dbFile)
const report = await importFolder(
  { db, thumbnailsDir: join(dirname(dbFile), 'thumbnails') },
  {
    folder,
    dataset: 'killed',
    chunkSize: chunk ? Number(chunk) : undefined,
    onProgress: (p) => console.log(JSON.stringify({ progress: p })),
  },
)
db.close()
console.log(JSON.stringify({ report }))
