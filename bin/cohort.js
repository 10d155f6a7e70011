#!/usr/bin/env node
// The CLI runs from TypeScript source through tsx, so `npx cohort` works right after `npm install`.
import { register } from 'tsx/esm/api'

register()
await import('../src/cli/main.ts')
