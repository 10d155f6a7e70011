/** Limits on pictures sent as bytes (dropped, pasted or captured), shared by the API schemas and the core. */

/** Per picture: a phone photo is a few MB; anything larger is not a picture to recognise. */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024
/** Per call: a drop of a whole camera roll is better done as a folder by `recognise.files`. */
export const MAX_UPLOADS = 200

/** The length of the base64 text of `bytes` bytes (the schemas bound uploads by it). */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4
}
