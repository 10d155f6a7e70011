import { dispatch } from '../../src/core/service/dispatch'
import type { CohortService } from '../../src/core/service'
import type { ApiEventName } from '../../src/shared/api'
import type { Bridge } from '../../src/renderer/src/api'

/**
 * A renderer bridge wired straight to a real service in this process, through the same
 * validating dispatch the Electron and HTTP shells use: component tests run on real data.
 */
export function serviceBridge(service: CohortService): Bridge {
  return {
    call: (channel, args) => dispatch(service, channel, args),
    on: (event, listener) => service.events.on(event as ApiEventName, listener),
  }
}
