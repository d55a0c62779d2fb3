package dev.parley.server.modelref;

/** A file of a repo at a commit: its path, size, and the LFS sha256 (null for a small file kept in git). */
public record RepoFile(String path, long size, String sha256, String gitOid) {

    /** The blob name in the cache: the sha256 for LFS files, the git blob id otherwise (huggingface_hub's etag). */
    public String blobName() {
        return sha256 != null ? sha256 : gitOid;
    }
}
