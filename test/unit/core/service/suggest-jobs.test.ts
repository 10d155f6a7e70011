import { describe, expect, it } from 'vitest'
import { libraryPaths } from '../../../../src/core/paths'
import type { TrainerChild } from '../../../../src/core/service/runs'
import {
  checkSuggestionRows,
  suggestInChild,
  SuggestionsCancelled,
} from '../../../../src/core/service/suggest-jobs'
import type { ParentMessage, TrainerMessage, WireSuggestion } from '../../../../src/shared/trainer-protocol'

const expected = { classNames: ['cat', 'dog'], imageIds: new Set([1, 2, 3]) }
const fresh = () => ({ ids: new Set<number>(), width: null as number | null })
const row = (over: Partial<WireSuggestion> = {}): WireSuggestion => ({
  imageId: 1,
  label: 'cat',
  confidence: 0.75,
  agree: true,
  probabilities: [0.8, 0.2, 0.7, 0.3],
  error: null,
  ...over,
})

describe('checkSuggestionRows: what the parent accepts from a suggest job', () => {
  it('keeps good answers, probabilities as Float32Array, unreadable pictures with their reason', () => {
    const rows = checkSuggestionRows(
      [row(), row({ imageId: 2, label: null, probabilities: null, error: 'not found', agree: false })],
      expected,
      fresh(),
    )
    expect(rows[0]!.probabilities).toEqual(Float32Array.from([0.8, 0.2, 0.7, 0.3]))
    expect(rows[1]).toEqual({
      imageId: 2,
      label: null,
      confidence: 0.75,
      agree: false,
      probabilities: null,
      error: 'not found',
    })
  })

  it.each([
    ['not a list', { rows: 1 }, 'its answers are not in the expected form'],
    ['a confidence above 1', [row({ confidence: 1.5 })], 'its answers are not in the expected form'],
    ['a probability that is not a number', [row({ probabilities: [0.5, 'x'] as never })], 'expected form'],
    ['an unknown field', [{ ...row(), path: '/etc/passwd' }], 'its answers are not in the expected form'],
    ['a picture of another dataset', [row({ imageId: 9 })], 'picture 9, which is not in the run’s dataset'],
    ['a picture twice', [row(), row()], 'it answered twice for picture 1'],
    ['a label the run does not have', [row({ label: 'cow' })], '"cow", which is not one of the run’s labels'],
    ['probabilities not a multiple of the classes', [row({ probabilities: [1, 0, 1] })], 'wrong number'],
    ['no probabilities for a label', [row({ probabilities: null })], 'wrong number of probabilities'],
    ['an unreadable picture without a reason', [row({ label: null, probabilities: null })], 'nor a reason'],
  ])('refuses %s', (_, rows, message) => {
    expect(() => checkSuggestionRows(rows, expected, fresh())).toThrow(message.replaceAll('’', "'"))
  })

  it('refuses a later part with another group size', () => {
    const seen = fresh()
    checkSuggestionRows([row()], expected, seen)
    expect(() => checkSuggestionRows([row({ imageId: 2, probabilities: [1, 0] })], expected, seen)).toThrow(
      'wrong number of probabilities',
    )
    expect(() => checkSuggestionRows([row()], expected, seen)).toThrow('twice')
  })
})

/** A child process scripted by the test: what the parent sends, what it hears, when it exits. */
function scriptedChild() {
  const sent: ParentMessage[] = []
  let onMessage: (m: TrainerMessage) => void = () => undefined
  let onExit: (code: number | null, signal: string | null) => void = () => undefined
  let killed = 0
  let stderr = ''
  const child: TrainerChild = {
    pid: 4242,
    send: (m) => void sent.push(m),
    onMessage: (h) => void (onMessage = h),
    onExit: (h) => void (onExit = h),
    kill: () => void killed++,
    stderrTail: () => stderr,
  }
  return {
    launch: () => child,
    sent,
    say: (m: TrainerMessage) => onMessage(m),
    exit: (code: number | null, signal: string | null = null) => onExit(code, signal),
    writeStderr: (text: string) => void (stderr += text),
    killed: () => killed,
  }
}

const paths = libraryPaths('/tmp/cohort-home')
function start(child: ReturnType<typeof scriptedChild>, signal = new AbortController().signal) {
  const progress: { done: number; total: number }[] = []
  const job = suggestInChild(
    paths,
    7,
    expected,
    { signal, onProgress: (p) => progress.push(p) },
    child.launch,
  )
  return { job, progress }
}

describe('suggestInChild: the parent side of a suggest job', () => {
  it('asks for the run, reports progress and resolves with every part once done', async () => {
    const child = scriptedChild()
    const { job, progress } = start(child)
    expect(child.sent).toEqual([
      { type: 'suggest', runId: 7, library: { home: paths.home, dbFile: paths.db } },
    ])
    child.say({ type: 'suggest.progress', runId: 7, done: 0, total: 2 })
    child.say({ type: 'suggest.rows', runId: 7, rows: [row()] })
    child.say({ type: 'suggest.rows', runId: 7, rows: [row({ imageId: 3, label: 'dog' })] })
    child.say({ type: 'suggest.done', runId: 7, count: 2 })
    const rows = await job
    expect(rows.map((r) => [r.imageId, r.label])).toEqual([
      [1, 'cat'],
      [3, 'dog'],
    ])
    expect(progress).toEqual([{ done: 0, total: 2 }])
    child.exit(0)
    expect(child.killed()).toBe(0)
  })

  it.each<[string, TrainerMessage[], string]>([
    ['a bad part', [{ type: 'suggest.rows', runId: 7, rows: [row({ imageId: 99 })] }], 'picture 99'],
    [
      'fewer rows than announced',
      [{ type: 'suggest.done', runId: 7, count: 3 }],
      'announced 3 answers and sent 0',
    ],
    ['another run', [{ type: 'suggest.done', runId: 8, count: 0 }], 'it answered for run 8'],
    ['a training message', [{ type: 'epoch', runId: 7, metrics: {} as never }], "a 'epoch' message"],
    [
      'a wrong progress',
      [{ type: 'suggest.progress', runId: 7, done: 5, total: 2 }],
      'not a count of pictures',
    ],
  ])('refuses %s: the child is ended and nothing is kept', async (_, messages, why) => {
    const child = scriptedChild()
    const { job } = start(child)
    for (const m of messages) child.say(m)
    await expect(job).rejects.toThrow(/^Suggesting labels stopped: the background process misbehaved \(/)
    await expect(job).rejects.toThrow(why)
    expect(child.killed()).toBe(1)
  })

  it('a child that falls silent is taken for hung: ended, with a message, after the silence limit', async () => {
    const child = scriptedChild()
    const job = suggestInChild(
      paths,
      7,
      expected,
      { signal: new AbortController().signal, silenceLimitMs: 200 },
      child.launch,
    )
    // each message restarts the clock: a slow but talking child is never ended
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 120))
      child.say({ type: 'suggest.progress', runId: 7, done: 0, total: 2 })
    }
    expect(child.killed()).toBe(0)
    const error = await job.catch((e: Error) => e)
    expect(error).toMatchObject({
      name: 'SuggestionsError',
      message:
        'Suggesting labels stopped: the background process said nothing for 0.2 s and was ended; the earlier suggestions are kept.',
    })
    expect(child.killed()).toBe(1)
  })

  it('says why the child could not answer, in its words', async () => {
    const child = scriptedChild()
    const { job } = start(child)
    child.say({
      type: 'suggest.done',
      runId: 7,
      count: 0,
      message: 'Run 7 has no trained model (it is failed).',
    })
    await expect(job).rejects.toThrow('Suggesting labels failed: Run 7 has no trained model (it is failed).')
  })

  it('a child that dies says how, with its last line but never a stack frame', async () => {
    const child = scriptedChild()
    const { job } = start(child)
    child.say({ type: 'suggest.rows', runId: 7, rows: [row()] })
    child.writeStderr('Error: out of memory\n    at decode (x.ts:1:1)\n')
    child.exit(134)
    const error = await job.catch((e: Error) => e)
    expect(error).toMatchObject({
      name: 'SuggestionsError',
      message:
        'Suggesting labels stopped unexpectedly (exit code 134: Error: out of memory); the earlier suggestions are kept.',
    })
  })

  it('cancelled: asks the child to stop and rejects with the reason at once', async () => {
    const child = scriptedChild()
    const stop = new AbortController()
    const { job } = start(child, stop.signal)
    stop.abort(new SuggestionsCancelled('Suggestions of run 7 stopped: Cohort is closing.'))
    await expect(job).rejects.toBeInstanceOf(SuggestionsCancelled)
    expect(child.sent.at(-1)).toEqual({ type: 'cancel' })
    // what it sends afterwards is ignored
    child.say({ type: 'suggest.done', runId: 7, count: 0 })
  })
})
