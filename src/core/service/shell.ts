/**
 * What a shell (Electron main, web mode, CLI) needs from the core besides the API itself: where the library
 * is, the library's own errors in plain words, and the bounded reader for a file the person names. Shells
 * import the core only through `./index` (the service) and this file, so the lint rules can keep them thin.
 */
export { cohortHome, libraryPaths, type LibraryPaths } from '../paths'
export { LibraryError, plainLibraryError } from '../store/db'
export { FileRefusedError, readTextBounded, refusalText } from '../files/read'
export { MAX_CSV_BYTES } from '../dataset/csv'
