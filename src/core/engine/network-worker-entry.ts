/** Entry of a one-network worker thread (see network-worker.ts). Bundlers build this file as its own entry. */
import { parentPort } from 'node:worker_threads'
import { serveNetwork } from './network-worker'

if (!parentPort) throw new Error('network-worker-entry must run in a worker thread')
serveNetwork(parentPort)
