// Prints vitest's result as one plain line ("Tests: N passed, N failed, N skipped") for CI logs.
import { readFileSync } from 'node:fs'

const report = JSON.parse(readFileSync(new URL('../test-results/vitest.json', import.meta.url), 'utf8'))
const skipped = report.numPendingTests + report.numTodoTests
console.log(`Tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`)
