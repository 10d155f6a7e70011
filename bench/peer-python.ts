/**
 * Which Python can run the PyTorch peers: `COHORT_PEER_PYTHON`, then `python3` on PATH, then Debian's
 * `/usr/bin/python3` (where `python3-torch` installs; a pyenv `python3` on PATH often has no torch).
 * CI has no torch at all: then the peers are skipped with this module's reason, never failed.
 */
import { spawnSync } from 'node:child_process'

export type PeerPython = { python: string; torch: string } | { python: null; reason: string }

export function peerPythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const list = [env.COHORT_PEER_PYTHON, 'python3', '/usr/bin/python3'].filter(
    (p): p is string => typeof p === 'string' && p !== '',
  )
  return [...new Set(list)]
}

export function findPeerPython(env: NodeJS.ProcessEnv = process.env): PeerPython {
  const tried: string[] = []
  for (const python of peerPythonCandidates(env)) {
    const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], {
      encoding: 'utf8',
      timeout: 60_000,
    })
    if (probe.status === 0) return { python, torch: probe.stdout.trim() }
    const why = probe.error
      ? probe.error.message
      : (probe.stderr.trim().split('\n').pop() ?? `exit ${probe.status}`)
    tried.push(`${python}: ${why}`)
  }
  return { python: null, reason: `no Python here can import torch (${tried.join('; ')})` }
}

/** The last line of a failed peer's stderr: enough to say why without a Python traceback. */
export function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? ''
}
