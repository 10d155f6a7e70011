import { resolve } from 'node:path'
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

// the real config, so a layer rule that stops biting fails here (docs/ARCHITECTURE.md, Folders)
const root = resolve(import.meta.dirname, '../..')
const eslint = new ESLint({ cwd: root })

async function lint(file: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath: resolve(root, file) })
  return result!.messages.map((m) => m.message)
}

describe('the layer rules', () => {
  it('refuse an arrow pointing up or sideways', async () => {
    expect(
      await lint('src/core/store/x.ts', "export { loadTrainingTensors } from '../dataset/tensor-cache'\n"),
    ).toEqual([expect.stringMatching(/store may import only shared/)])
    expect(
      await lint('src/core/engine/kernels/x.ts', "export { trainGroup } from '../../training/trainer'\n"),
    ).toEqual([expect.stringMatching(/engine may import only files, shared/)])
    expect(await lint('src/core/recognition/x.ts', "export { fuse } from '../training/teachers'\n")).toEqual([
      expect.stringMatching(/recognition may import/),
    ])
    expect(
      await lint('src/cli/commands/x.ts', "export { openDatabase } from '../../core/store/db'\n"),
    ).toEqual([expect.stringMatching(/cli may import only service, server, experiment, shared/)])
    expect(await lint('src/renderer/src/x.ts', "export { listRuns } from '../../core/store/runs'\n")).toEqual(
      [expect.stringMatching(/renderer may import only shared/)],
    )
  })

  it('catch a dynamic import as well as a static one', async () => {
    expect(
      await lint('src/core/engine/x.ts', "export const load = () => import('../dataset/tensor-cache')\n"),
    ).toEqual([expect.stringMatching(/engine may import/)])
  })

  it('keep the research harness, electron and packages in their places', async () => {
    expect(await lint('src/server/x.ts', "export { writeReport } from '../experiment/report'\n")).toEqual([
      expect.stringMatching(/server may import only service, shared/),
    ])
    expect(await lint('src/core/service/x.ts', "export { app } from 'electron'\n")).toEqual([
      expect.stringContaining('Only the Electron shell imports electron, not service.'),
    ])
    expect(await lint('src/shared/x.ts', "export { readFile } from 'node:fs'\n")).toEqual([
      expect.stringContaining('shared imports nothing but zod.'),
    ])
  })

  it('keep SQL in the store', async () => {
    const sql =
      "import type { Db } from '../store/db'\nexport const n = (db: Db) => db.prepare('SELECT 1').get()\n"
    expect(await lint('src/core/dataset/x.ts', sql)).toEqual([
      expect.stringMatching(/SQL lives in src\/core\/store/),
    ])
    expect(
      await lint(
        'src/core/store/x.ts',
        "import type { Db } from './db'\nexport const n = (db: Db) => db.prepare('SELECT 1').get()\n",
      ),
    ).toEqual([])
    // RegExp#exec is not SQL
    expect(await lint('src/server/x.ts', "export const m = /^a$/.exec('a')\n")).toEqual([])
  })

  it('let the documented arrows and exceptions through', async () => {
    expect(
      await lint(
        'src/trainer/x.ts',
        "export { loadTrainingTensors } from '../core/dataset/tensor-cache'\nexport { trainGroup } from '../core/training/trainer'\n",
      ),
    ).toEqual([])
    expect(
      await lint('src/core/recognition/x.ts', "export { normaliseBatch } from '../engine/input'\n"),
    ).toEqual([])
    expect(
      await lint('src/cli/commands/doctor.ts', "export { listBackups } from '../../core/store/backups'\n"),
    ).toEqual([])
    expect(
      await lint('src/cli/commands/x.ts', "export { cohortHome } from '../../core/service/shell'\n"),
    ).toEqual([])
  })
})
