import { afterAll, describe, expect, it } from 'vitest'
import { dispatch } from '../../src/core/service/dispatch'
import { createCohortService } from '../../src/core/service'
import { runCli, runCliAsync } from '../helpers/cli'
import { tempDir } from '../helpers/temp'

// raw ESC, BEL, C1 CSI or a bidi override in output a person reads
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u001b\u0007\u009b\u202e\u2066]/

// Hostile numbers and names given to the real `cohort` CLI, in a child process.
describe('the CLI with hostile arguments', () => {
  const home = tempDir('cohort-sec-cli-')
  afterAll(() => home.cleanup())

  it('refuses --epochs 1e3, 0x10, -1, 99999999999 and every other loose integer as a usage mistake, before any work', async () => {
    const cases = [
      ...['1e3', '0x10', '-1', '99999999999'].map((v) => ['train', '--dataset', 'anything', '--epochs', v]),
      ['demo', '--epochs', '1e3'],
      ['split', '--dataset', 'x', '--seed', '0x10'],
      ['predict', '--run', '1', '--top', '-1', 'a.png'],
      ['serve', '--port', '65536'],
    ]
    const started = Date.now()
    const results = await Promise.all(cases.map((args) => runCliAsync(home.path, args)))
    // each child needs a few seconds to start; a hang or a started run would take far longer
    expect(Date.now() - started).toBeLessThan(90_000)
    for (const [i, r] of results.entries()) {
      const value = cases[i]!.at(-1) === 'a.png' ? cases[i]!.at(-2) : cases[i]!.at(-1)
      expect([cases[i]!.join(' '), r.code]).toEqual([cases[i]!.join(' '), 2])
      expect(r.stderr).toContain(`argument '${value}' is invalid. Expected a whole number from`)
      expect(r.stderr).toContain('written in plain digits.')
    }
    // nothing started: no dataset imported (demo), no run
    const [datasets, runs] = await Promise.all([
      runCliAsync(home.path, ['datasets', '--json']),
      runCliAsync(home.path, ['runs', '--json']),
    ])
    expect(JSON.parse(datasets.stdout)).toEqual([])
    expect(JSON.parse(runs.stdout)).toEqual([])
  }, 150_000)

  it('the API refuses absurd epochs too, before a run exists', async () => {
    const service = await createCohortService({ home: home.path })
    try {
      await service['datasets.create']('numbers')
      for (const epochs of [99999999999, 1.5, -1, '1e3', 0]) {
        const reply = await dispatch(service, 'runs.start', [{ dataset: 'numbers', epochs }])
        expect(reply).toMatchObject({
          ok: false,
          error: { message: expect.stringMatching(/epochs must be a whole number from 1 to 1000/) },
        })
      }
      expect(await service['runs.list']()).toEqual([])
    } finally {
      service.close()
    }
  })

  it('names with terminal escapes or bidi overrides are printed inert; JSON keeps them exact', async () => {
    const created = runCli(home.path, ['labels', 'create', '--dataset', 'numbers', 'x\u202e\u2066y'])
    expect(created.code, created.stderr).toBe(0)
    expect(created.stdout).toBe('Created label "x\\u202e\\u2066y"\n')
    const [table, json, missing] = await Promise.all([
      runCliAsync(home.path, ['labels', 'list', '--dataset', 'numbers']),
      runCliAsync(home.path, ['labels', 'list', '--dataset', 'numbers', '--json']),
      // an unknown dataset's name is echoed in the error line
      runCliAsync(home.path, ['labels', 'list', '--dataset', '\x1b]0;owned\x07evil\u202egnp.exe\u009b31m']),
    ])
    expect(table.stdout).toContain('x\\u202e\\u2066y')
    expect(table.stdout).not.toMatch(UNSAFE)
    expect(JSON.parse(json.stdout)[0].name).toBe('x\u202e\u2066y')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('No dataset named "\\x1b]0;owned\\x07evil\\u202egnp.exe\\x9b31m"')
    expect(missing.stderr).not.toMatch(UNSAFE)
  })
})
