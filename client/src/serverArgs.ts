// How the language server process is started, shared by the extension and the bench so that
// what the bench measures is what users run.

/**
 * A small young generation: the server is long-lived and mostly idle, so memory matters more
 * than the few extra scavenges while a big tree is first read (peak memory on the 1,000-site
 * bench tree drops by about a third).
 */
export const SERVER_EXEC_ARGV: readonly string[] = ['--max-semi-space-size=2'];
