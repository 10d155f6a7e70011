import { protocol } from 'electron'
import type { CohortService } from '../core/service'

export const IMAGE_SCHEME = 'cohort-image'

/** Must run before the app is ready: the scheme is standard and secure so CSP can allow it. */
export function registerImageScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: IMAGE_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ])
}

/**
 * `cohort-image://image/<id>/thumb` and `…/<id>/full`: the renderer names an image by its id,
 * never by a path; the service resolves only ids the store knows.
 */
export function handleImageProtocol(service: CohortService): void {
  protocol.handle(IMAGE_SCHEME, async (request) => {
    const file = await service.imageFile(request.url)
    if (!file) return new Response('Not found', { status: 404 })
    return new Response(new Uint8Array(file.data), {
      headers: { 'content-type': file.contentType, 'cache-control': 'private, max-age=31536000, immutable' },
    })
  })
}
