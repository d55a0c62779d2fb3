package dev.parley.server.ui;

/** One file of the chat page, held in memory (they are small and read on every page load). */
record Asset(byte[] bytes, String contentType) {
}
