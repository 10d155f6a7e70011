/** Whether the system has a camera the page may ask for (the camera buttons show only then). */
export async function hasCameraDevice(): Promise<boolean> {
  const media = typeof navigator === 'undefined' ? undefined : navigator.mediaDevices
  if (typeof media?.getUserMedia !== 'function' || typeof media.enumerateDevices !== 'function') return false
  const devices = await media.enumerateDevices().catch(() => [])
  return devices.some((d) => d.kind === 'videoinput')
}
